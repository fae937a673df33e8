// Property tests draw from a fixed seed so that a run is reproducible (CI included); set FC_SEED
// to explore other seeds, e.g. FC_SEED=$RANDOM npm test.
import fc from 'fast-check';

fc.configureGlobal({ seed: Number(process.env.FC_SEED ?? 20261129) });
