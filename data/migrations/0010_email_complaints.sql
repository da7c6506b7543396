-- Spam reports (abuse complaints) per send: Mailchimp's "Abuse Complaints" / abuse_reports,
-- SendGrid's and Constant Contact's "Spam Reports". Named like bounces and unsubscribes; a send
-- imported before this column existed (or from a file without it) keeps NULL, not a made-up 0.
ALTER TABLE email_campaigns ADD COLUMN complaints BIGINT;
