// SendEmailJob: typed valibot data and a mailer service injected per execution (defineSetup + awilix scoped).
import { asClass } from 'awilix';
import * as v from 'valibot';
import { defineJob, defineSetup } from '../../lib/index.ts';

/** The service the job depends on; swap the fake for SMTP, SES, … in defineSetup. */
export interface Mailer {
  send(message: { to: string; subject: string; body: string }, signal: AbortSignal): Promise<string>;
}

/** Mail "sent" by the fake mailer, so the sample (and its spec) can see what happened. */
export const sentMail: { to: string; subject: string; body: string }[] = [];

export class FakeMailer implements Mailer {
  async send(message: { to: string; subject: string; body: string }, signal: AbortSignal): Promise<string> {
    signal.throwIfAborted();
    sentMail.push(message);
    return `msg-${sentMail.length}`;
  }
}

declare module '../../lib/index.ts' {
  interface Services {
    mailer: Mailer;
  }
}

export const emailSetup = defineSetup({
  services: (c) => c.register({ mailer: asClass(FakeMailer).scoped() }), // one per job execution
});

export const sendEmail = defineJob({
  name: 'SendEmailJob',
  data: v.object({ to: v.pipe(v.string(), v.email()), subject: v.string(), body: v.optional(v.string(), '') }),
  maxRetries: 3,
  baseRetryDelaySeconds: 10,
  async run(data, ctx) {
    ctx.log.info(`Sending email to ${data.to}`);
    const messageId = await ctx.services.mailer.send(data, ctx.signal);
    ctx.log.info('Email sent', { messageId });
    return { messageId };
  },
});
