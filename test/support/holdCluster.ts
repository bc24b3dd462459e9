// Test helper process: opens Emily in the given home, reports the port, then waits to be
// killed (used to leave an orphaned postmaster behind).
import { Emily } from '../../electron/core/emily.js';

const home = process.argv[2];
if (!home) throw new Error('usage: holdCluster.ts <home>');
const emily = await Emily.open({ home });
process.stdout.write(`ready ${emily.cluster.admin().port}\n`);
setInterval(() => undefined, 1 << 30);
