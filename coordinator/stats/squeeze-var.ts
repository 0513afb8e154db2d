/**
 * limma's `squeezeVar(var, df, covariate)` (robust = FALSE) and
 * `.squeezeVar`: the posterior variances
 * s2.post = (df s^2 + d0 s0^2) / (df + d0), with s0^2 and d0 from
 * `fitFDist`; s2.post = s0^2 where d0 is infinite.
 */
import { fitFDist } from './fit-f-dist.js';

export interface SqueezedVariances {
  /** d0 (Infinity when the variances show no spread beyond chi-square sampling). */
  dfPrior: number;
  /** s0^2, per element (one value repeated without a covariate). */
  varPrior: Float64Array;
  varPost: Float64Array;
  warning?: string;
}

/** limma `.squeezeVar(var, df, var.prior, df.prior)`. */
export function posteriorVariances(v: ArrayLike<number>, df: number | ArrayLike<number>, varPrior: ArrayLike<number>, dfPrior: number): Float64Array {
  const n = v.length;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const d = typeof df === 'number' ? df : df[i]!;
    out[i] = Number.isFinite(dfPrior) ? (d * v[i]! + dfPrior * varPrior[i]!) / (d + dfPrior) : varPrior[i]!;
  }
  return out;
}

/** limma `squeezeVar(var, df, covariate = NULL)`. */
export function squeezeVar(v: ArrayLike<number>, df: number | ArrayLike<number>, covariate?: ArrayLike<number>): SqueezedVariances {
  const n = v.length;
  if (n === 0) throw new RangeError('squeezeVar: var is empty');
  if (n === 1) return { dfPrior: 0, varPrior: Float64Array.from(v), varPost: Float64Array.from(v) };
  let vars: ArrayLike<number> = v;
  if (typeof df !== 'number') {
    if (df.length !== n) throw new RangeError('squeezeVar: var and df have different lengths');
    vars = Float64Array.from(v, (x, i) => (df[i] === 0 ? 0 : x));
  }
  const fit = fitFDist(vars, df, covariate);
  if (Number.isNaN(fit.df2)) throw new RangeError('squeezeVar: could not estimate prior df');
  return {
    dfPrior: fit.df2,
    varPrior: fit.scale,
    varPost: posteriorVariances(vars, df, fit.scale, fit.df2),
    ...(fit.warning ? { warning: fit.warning } : {}),
  };
}
