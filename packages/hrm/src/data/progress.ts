/** Optional progress reporting for long builds: called with items done out of total. */
export type OnProgress = (done: number, total: number) => void;
