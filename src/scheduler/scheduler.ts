import cron, { type ScheduledTask } from 'node-cron';
import type { Logger } from 'pino';

export interface ScheduledJob {
  readonly name: string;
  /** A cron expression, or null when the schedule is off. */
  readonly schedule: string | null;
  readonly run: () => Promise<unknown>;
  /** A frequent housekeeping job: its routine finishes are logged at debug, not info (failures still at error). */
  readonly quiet?: boolean;
}

export interface Scheduler {
  stop(): void;
}

/**
 * Maps cron schedules to jobs. It only triggers: one run of a job at a time (a tick that finds the previous run
 * still going is skipped and logged), timings logged, failures logged and never rethrown into the timer.
 */
export function startScheduler(jobs: readonly ScheduledJob[], logger: Pick<Logger, 'debug' | 'info' | 'warn' | 'error'>): Scheduler {
  const tasks: ScheduledTask[] = [];
  for (const job of jobs) {
    if (job.schedule === null) {
      logger.info({ job: job.name }, 'schedule off');
      continue;
    }
    let running = false;
    const tick = async () => {
      if (running) {
        logger.warn({ job: job.name }, 'previous run still going; tick skipped');
        return;
      }
      running = true;
      const started = Date.now();
      try {
        await job.run();
        logger[job.quiet ? 'debug' : 'info']({ job: job.name, durationInMs: Date.now() - started }, 'scheduled job finished');
      } catch (error) {
        logger.error({ job: job.name, durationInMs: Date.now() - started, err: error }, 'scheduled job failed');
      } finally {
        running = false;
      }
    };
    tasks.push(cron.schedule(job.schedule, tick, { timezone: 'Etc/UTC', name: job.name }));
    logger.info({ job: job.name, schedule: job.schedule }, 'scheduled');
  }
  return {
    stop() {
      for (const task of tasks) void task.stop();
    },
  };
}
