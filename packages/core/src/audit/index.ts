export {
  runAudit,
  fitTest,
  pairTest,
  type AuditSubject,
  type AuditPair,
  type AuditOptions,
  type AuditReport,
  type FitResult,
  type PairResult,
} from "./audit.js";
export { veilSubject, auditPairs, auditFitWords } from "./subjects.js";
export { clopperPearson, chiSquareTest } from "../stats/hypothesis.js";
