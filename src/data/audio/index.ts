/**
 * The audio front end, browser-safe: WAV bytes → mono samples
 * ({@link decodeWav}), any rate → 16 kHz ({@link resampleTo16k},
 * {@link ResampleStream}), samples → log-mel or MFCC frames ({@link logMel},
 * {@link mfcc}, {@link FeatureStream}). Node's file reader is ./wav-file.ts.
 * @module
 */
export * from './wav.js';
export * from './resample.js';
export * from './features.js';
