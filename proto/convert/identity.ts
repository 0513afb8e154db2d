/**
 * Peer identities in consortium certificates: the URI SAN
 * `urn:genofed:site:<id>` (node server certificates) or
 * `urn:genofed:coordinator:<id>` (the coordinator's client certificate).
 * One place, so the certificate maker (`network init`) and both verifiers
 * (node: who is calling; coordinator: which site answered) agree.
 */

export type PeerRole = 'site' | 'coordinator';

export function siteUri(id: string): string {
  return `urn:genofed:site:${id}`;
}

export function coordinatorUri(id: string): string {
  return `urn:genofed:coordinator:${id}`;
}

/**
 * The ids of `role` named in a certificate's subjectAltName string as node's
 * TLS reports it (`'DNS:localhost, IP Address:127.0.0.1, URI:urn:genofed:site:a'`).
 */
export function idsInSubjectAltName(subjectaltname: string | undefined, role: PeerRole): string[] {
  if (!subjectaltname) return [];
  const prefix = `URI:urn:genofed:${role}:`;
  return subjectaltname
    .split(/,\s*/)
    .filter((n) => n.startsWith(prefix))
    .map((n) => n.slice(prefix.length));
}

/** True when the certificate names `id` in `role` by URI SAN and its CN is `id`. */
export function certificateNames(cert: { subject?: { CN?: string | string[] }; subjectaltname?: string } | undefined, role: PeerRole, id: string): boolean {
  if (!cert) return false;
  const cn = cert.subject?.CN;
  const cnOk = Array.isArray(cn) ? cn.length === 1 && cn[0] === id : cn === id;
  return cnOk && idsInSubjectAltName(cert.subjectaltname, role).includes(id);
}
