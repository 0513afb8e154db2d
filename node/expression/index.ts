/** Expression matrices: parsing (the store loads the result; see node/store/ingest-expression.ts). */
export { parseExpressionMatrix, MAX_LOG_VALUE, type ExpressionMatrix, type ExpressionValues, type ParseMatrixOptions } from './parse-matrix.js';
