/** Background work per user database: queue, runner, the global pause switch, cognition handlers. */
export { BackgroundSwitch } from './backgroundSwitch.js';
export { cognitionHandlers, type HandlerDeps } from './handlers.js';
export { cancelJob, enqueueJob, getJob, listJobs, MAX_ATTEMPTS, type Job } from './queue.js';
export { describeJob } from './jobView.js';
export { JobRunner, type JobContext, type JobHandler, type JobRunnerOptions } from './runner.js';
