/** Progress of a long build: called with the items done out of the total after each item. */
export type OnProgress = (done: number, total: number) => void;
