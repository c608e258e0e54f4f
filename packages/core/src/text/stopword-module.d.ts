// The one export of npm `stopword` that Veil reads (the package ships no types).
declare module "stopword" {
  /** The English stopword list. */
  export const eng: string[];
}
