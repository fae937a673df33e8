// Every test file sees the WebAssembly features a program using the node entry sees (relaxed
// SIMD's fused multiply-add included), whichever file a forked worker ran before it. (The module
// itself, not the node entry: importing that here would load modules before a test file mocks them.)
import { enableRelaxedSimd } from '../packages/tensor/src/node/relaxed-simd.js';

enableRelaxedSimd();
