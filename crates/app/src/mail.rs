//! Outgoing mail (S9) through lettre: SMTP when configured, `.eml` files in a directory in the
//! embedded default. The message id is derived from the outbox's dedupe key, so a message sent
//! twice (delivery is at least once) is recognisably the same message.
//!
//! Every message is MIME with UTF-8 declared: a plain-text and an HTML part
//! (`multipart/alternative`), the HTML's images beside it (`multipart/related`, `cid:` links),
//! and attachments around both (`multipart/mixed`), each layer only when it has something.

use anyhow::Context;
use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::message::{Attachment, Mailbox, Message, MultiPart, SinglePart};
use lettre::{AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use std::path::Path;

pub enum Mailer {
    Files(AsyncFileTransport<Tokio1Executor>),
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
}

pub struct Email {
    pub to: String,
    pub subject: String,
    /// A BCP 47 tag (`pt-BR`, `en`), said in `Content-Language`.
    pub language: &'static str,
    pub text: String,
    pub html: String,
    /// PNG images the HTML shows through `cid:` links.
    pub inline_images: Vec<InlineImage>,
    pub attachments: Vec<FileAttachment>,
    /// Stable across retries of the same message.
    pub dedupe_key: String,
}

pub struct InlineImage {
    /// What the HTML's `src="cid:…"` names.
    pub content_id: String,
    pub png: Vec<u8>,
}

pub struct FileAttachment {
    pub file_name: String,
    pub content_type: &'static str,
    pub bytes: Vec<u8>,
}

impl Email {
    /// The MIME tree of the message's body.
    fn body(self) -> anyhow::Result<MultiPart> {
        let html = SinglePart::html(self.html);
        let mut shown = MultiPart::alternative().singlepart(SinglePart::plain(self.text));
        shown = if self.inline_images.is_empty() {
            shown.singlepart(html)
        } else {
            let mut related = MultiPart::related().singlepart(html);
            for image in self.inline_images {
                related = related.singlepart(
                    Attachment::new_inline(image.content_id)
                        .body(image.png, ContentType::parse("image/png")?),
                );
            }
            shown.multipart(related)
        };
        if self.attachments.is_empty() {
            return Ok(shown);
        }
        let mut mixed = MultiPart::mixed().multipart(shown);
        for file in self.attachments {
            mixed = mixed.singlepart(
                Attachment::new(file.file_name)
                    .body(file.bytes, ContentType::parse(file.content_type)?),
            );
        }
        Ok(mixed)
    }
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
            .subject(email.subject.clone())
            .message_id(Some(format!("<{id}@{domain}>")))
            .raw_header(HeaderValue::new(
                HeaderName::new_from_ascii_str("Content-Language"),
                email.language.to_owned(),
            ))
            .multipart(email.body()?)?;
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
