// `npm run test:fast`: the unit, gradient, parity and file tests without the long runs — the backend
// matrix (every module and task test again on each other backend), the browsers, the CLI end to end,
// killed and diverging training runs, and tasks trained to quality. A minute or two instead of the full
// `npm test` (which CI runs). Build and lint first as `npm test` does: `npm run build` makes dist/.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';

const SLOW = new Set([
  'backend-matrix', 'browser', 'browser-mic', 'cli', 'crash-safety', 'training-reliability', 'hostile-files', 'tasks',
  'recommend', 'cell-option', 'classify-frames', 'commands-dataset', 'task-onnx-export', 'keras', 'memory-tasks',
  'readme-snippets', 'batch-predict', 'pytorch-twins', 'forecast-global',
]);
const files = readdirSync('test').filter((f) => f.endsWith('.test.ts') && !SLOW.has(f.slice(0, -'.test.ts'.length))).map((f) => `test/${f}`);
const r = spawnSync(process.execPath, ['--import', 'tsx', '--test', ...files], { stdio: 'inherit' });
process.exit(r.status ?? 1);
