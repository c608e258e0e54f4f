export const SAMPLES = {
  review: "The food was great but the service was terribly slow, and our waiter forgot the dessert twice.",
  support: "Hi, this is Maria Gonzalez. My phone number is 555 0123 and my order never arrived, please call me back tomorrow morning.",
  medical: "Patient reports a severe headache and fever since Tuesday; prescribed rest and fluids, follow up with the doctor next week.",
} as const;

export type SampleName = keyof typeof SAMPLES;
