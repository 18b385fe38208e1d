/**
 * Every task, registered once. A new task is a folder beside these
 * with a `command.ts` exporting its {@link TaskDefinition}, added here.
 */
import type { TaskDefinition } from './registry.js';
import { forecastTask } from './forecast/command.js';
import { classifyTask } from './classify/command.js';
import { lmTask } from './lm/command.js';
import { seq2seqTask } from './seq2seq/command.js';
import { recommendTask } from './recommend/command.js';
import { kerasTask } from './keras/command.js';

export const TASKS: readonly TaskDefinition[] = [forecastTask, classifyTask, lmTask, seq2seqTask, recommendTask, kerasTask];
