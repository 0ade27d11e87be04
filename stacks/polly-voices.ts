/**
 * Amazon Polly voices this project lets a stack choose, with the engines each supports (from the Polly developer
 * guide's voice list). A voice/engine pair outside this table fails `pulumi preview` instead of every upload.
 */
export const POLLY_ENGINES = ["standard", "neural"] as const;
export type PollyEngine = (typeof POLLY_ENGINES)[number];

const BOTH: readonly PollyEngine[] = ["standard", "neural"];
const STANDARD: readonly PollyEngine[] = ["standard"];
const NEURAL: readonly PollyEngine[] = ["neural"];

export const POLLY_VOICES: Record<string, readonly PollyEngine[]> = {
    // English (US)
    Danielle: NEURAL,
    Gregory: NEURAL,
    Ivy: BOTH,
    Joanna: BOTH,
    Joey: BOTH,
    Justin: BOTH,
    Kendra: BOTH,
    Kevin: NEURAL,
    Kimberly: BOTH,
    Matthew: BOTH,
    Ruth: NEURAL,
    Salli: BOTH,
    Stephen: NEURAL,
    // English (British, Australian, Indian)
    Amy: BOTH,
    Arthur: NEURAL,
    Brian: BOTH,
    Emma: BOTH,
    Nicole: STANDARD,
    Olivia: NEURAL,
    Russell: STANDARD,
    Aditi: STANDARD,
    Raveena: STANDARD,
    Kajal: NEURAL,
    // French, German, Spanish, Italian, Portuguese, Japanese
    Celine: STANDARD,
    Lea: BOTH,
    Mathieu: STANDARD,
    Hans: STANDARD,
    Marlene: STANDARD,
    Vicki: BOTH,
    Daniel: NEURAL,
    Conchita: STANDARD,
    Enrique: STANDARD,
    Lucia: BOTH,
    Sergio: NEURAL,
    Carla: STANDARD,
    Bianca: BOTH,
    Giorgio: STANDARD,
    Adriano: NEURAL,
    Camila: BOTH,
    Vitoria: BOTH,
    Ricardo: STANDARD,
    Mizuki: STANDARD,
    Takumi: BOTH,
    Kazuha: NEURAL,
    Tomoko: NEURAL,
};
