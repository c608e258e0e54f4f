// @veil/collector: the analyst's side. Node only.
export { startCollector, type Collector, type CollectorOptions } from "./server.js";
export { ReportStore, type SumRelease } from "./store.js";
export {
  parseReport,
  ReportError,
  REPORT_VERSION,
  MAX_REPORT_BYTES,
  type Report,
  type Answer,
  type RrAnswer,
  type BoundedAnswer,
  type ShareEntry,
} from "./schema.js";
export { estimates, type QuestionEstimate, type CategoryEstimate } from "./estimates.js";
export { combineSum, type CombinedSum } from "./combine.js";
