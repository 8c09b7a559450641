/**
 * @module Sending notification emails over SMTP (nodemailer): STARTTLS required by default, implicit
 * TLS, or plain SMTP to a relay on a trusted network. The password goes to the transport only; errors
 * are reported by their message, which never holds it.
 */
import nodemailer from 'nodemailer';
import type { Config } from '../../config/config.js';

export interface EmailMessage {
  to: string;
  subject: string;
  text: string;
}

export interface Mailer {
  send(message: EmailMessage): Promise<void>;
  close(): void;
}

export type SmtpSettings = Pick<
  Config,
  'smtpHost' | 'smtpPort' | 'smtpSecurity' | 'smtpUser' | 'smtpPassword' | 'smtpFrom'
>;

/** A mailer for the configured SMTP server, or undefined when none is configured. */
export function smtpMailer(s: Partial<SmtpSettings>): Mailer | undefined {
  if (!s.smtpHost) return undefined;
  const security = s.smtpSecurity ?? 'starttls';
  const transport = nodemailer.createTransport({
    host: s.smtpHost,
    port: s.smtpPort ?? (security === 'tls' ? 465 : 587),
    secure: security === 'tls',
    requireTLS: security === 'starttls',
    ignoreTLS: security === 'none',
    ...(s.smtpUser ? { auth: { user: s.smtpUser, pass: s.smtpPassword ?? '' } } : {}),
    connectionTimeout: 15_000,
    greetingTimeout: 15_000,
    socketTimeout: 30_000,
  });
  const from = s.smtpFrom ?? `Vigil <vigil@${s.smtpHost}>`;
  return {
    async send(m) {
      await transport.sendMail({ from, to: m.to, subject: m.subject, text: m.text });
    },
    close() {
      transport.close();
    },
  };
}
