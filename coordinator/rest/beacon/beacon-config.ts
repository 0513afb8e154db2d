/**
 * What the coordinator's Beacon v2 says about itself, and the ontology
 * terms it maps onto the consortium phenotype schema. One frozen default:
 * the Beacon has no config section of its own (yet), so a consortium that
 * wants another id or name passes a `BeaconConfig` to `registerBeaconRoutes`.
 */

/** Beacon API version of the schema snapshot the responses are validated against (test/fixtures/beacon-v2). */
export const BEACON_API_VERSION = 'v2.0.0';

/** An ontology term a filter may name, and the schema column value it selects. */
export interface OntologyMapping {
  readonly id: string;
  readonly label: string;
  /** The value of the mapped column (compared case-insensitively with the schema's values). */
  readonly value: string;
}

/** Terms for one concept (sex, ancestry): the first schema column of `columns` that exists gets them. */
export interface OntologyConcept {
  /** Candidate column names, in order of preference. */
  readonly columns: readonly string[];
  readonly terms: readonly OntologyMapping[];
}

export interface BeaconConfig {
  readonly beaconId: string;
  readonly name: string;
  readonly description: string;
  readonly organization: { readonly id: string; readonly name: string; readonly welcomeUrl: string };
  readonly environment: 'prod' | 'test' | 'dev' | 'staging';
  /**
   * The assembly every site's store holds, when the consortium states one:
   * a request naming another assembly is refused. Unset: `assemblyId` is
   * echoed but not checked (the engine already refuses sites whose declared
   * builds differ).
   */
  readonly assemblyId?: string;
  /**
   * The querier name anonymous (public) Beacon requests run under: all of
   * them share one rate limit, one DP budget and one line in the nodes'
   * logs, so no anonymous client can escape the limits by being anonymous.
   */
  readonly publicQuerier: string;
  /** Ontology terms mapped onto schema columns (declared in /filtering_terms). */
  readonly ontology: readonly OntologyConcept[];
  /** Ontologies the terms come from (the /filtering_terms `resources`). */
  readonly resources: readonly { readonly id: string; readonly name: string; readonly url: string; readonly nameSpacePrefix: string; readonly iriPrefix: string }[];
}

/**
 * Why these terms: NCIT is what the Beacon v2 default model uses for sex
 * (its cohort examples: NCIT:C16576 female, NCIT:C20197 male); HANCESTRO
 * is the GWAS Catalog's ancestry ontology. The 1000 Genomes AMR group
 * ("admixed American") has no exact HANCESTRO term; "Hispanic or Latin
 * American" (HANCESTRO:0014) is the closest, so it is mapped there.
 */
export const DEFAULT_BEACON_CONFIG: BeaconConfig = Object.freeze({
  beaconId: 'org.genofed.beacon',
  name: 'genofed federated Beacon',
  description: 'Allele presence and carrier counts summed under BFV encryption across hospital nodes; counts obey the consortium\'s disclosure control.',
  organization: { id: 'genofed', name: 'genofed consortium', welcomeUrl: 'https://github.com/genofed' },
  environment: 'dev',
  publicQuerier: 'beacon-public',
  ontology: [
    {
      columns: ['sex', 'gender'],
      terms: [
        { id: 'NCIT:C16576', label: 'female', value: 'female' },
        { id: 'NCIT:C20197', label: 'male', value: 'male' },
      ],
    },
    {
      columns: ['super_pop', 'superpopulation', 'ancestry'],
      terms: [
        { id: 'HANCESTRO:0010', label: 'African', value: 'AFR' },
        { id: 'HANCESTRO:0014', label: 'Hispanic or Latin American', value: 'AMR' },
        { id: 'HANCESTRO:0009', label: 'East Asian', value: 'EAS' },
        { id: 'HANCESTRO:0005', label: 'European', value: 'EUR' },
        { id: 'HANCESTRO:0006', label: 'South Asian', value: 'SAS' },
      ],
    },
  ],
  resources: [
    { id: 'NCIT', name: 'NCI Thesaurus', url: 'https://ncit.nci.nih.gov', nameSpacePrefix: 'NCIT', iriPrefix: 'http://purl.obolibrary.org/obo/NCIT_' },
    { id: 'HANCESTRO', name: 'Human Ancestry Ontology', url: 'https://www.ebi.ac.uk/ols4/ontologies/hancestro', nameSpacePrefix: 'HANCESTRO', iriPrefix: 'http://purl.obolibrary.org/obo/HANCESTRO_' },
  ],
});
