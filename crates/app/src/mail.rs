//! Outgoing mail (S9) through lettre: SMTP when configured, `.eml` files in a directory in the
//! embedded default. The message id is derived from the outbox's dedupe key, so a message sent
//! twice (delivery is at least once) is recognisably the same message.

use anyhow::Context;
use lettre::message::{Mailbox, Message};
use lettre::{AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use std::path::Path;

pub enum Mailer {
    Files(AsyncFileTransport<Tokio1Executor>),
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
}

pub struct Email {
    pub to: String,
    pub subject: String,
    pub body: String,
    /// Stable across retries of the same message.
    pub dedupe_key: String,
}

pub struct MailSender {
    pub mailer: Mailer,
    pub from: Mailbox,
}

impl MailSender {
    pub fn files(dir: &Path, from: &str) -> anyhow::Result<Self> {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create the mail directory {}", dir.display()))?;
        Ok(Self {
            mailer: Mailer::Files(AsyncFileTransport::new(dir)),
            from: from
                .parse()
                .context("--mail-from is not an email address")?,
        })
    }

    /// `smtp://user:pass@host:587?tls=required` or `smtps://…` (lettre's URL form).
    pub fn smtp(url: &str, from: &str) -> anyhow::Result<Self> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .context("the SMTP URL is not valid")?
            .timeout(Some(std::time::Duration::from_secs(10)))
            .build();
        Ok(Self {
            mailer: Mailer::Smtp(transport),
            from: from
                .parse()
                .context("--mail-from is not an email address")?,
        })
    }

    pub async fn send(&self, email: Email) -> anyhow::Result<()> {
        let domain = self.from.email.domain().to_owned();
        let id: String = email
            .dedupe_key
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' || c == '.' {
                    c
                } else {
                    '.'
                }
            })
            .collect();
        let message = Message::builder()
            .from(self.from.clone())
            .to(email
                .to
                .parse()
                .context("the recipient is not an email address")?)
            .subject(email.subject)
            .message_id(Some(format!("<{id}@{domain}>")))
            .body(email.body)?;
        match &self.mailer {
            Mailer::Files(transport) => {
                transport.send(message).await?;
            }
            Mailer::Smtp(transport) => {
                transport.send(message).await?;
            }
        }
        Ok(())
    }
}
