//! E-mail through an SMTP server the operator names (`SMTP_URL`), from the
//! address it names (`MAIL_FROM`): the local server's.

use crate::{SendEmail, TIMEOUT, mime};
use async_trait::async_trait;
use feedback_app::sending::{EmailMessage, NotSent};
use lettre::message::Mailbox;
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};

/// An SMTP server, and the address messages come from.
pub struct SmtpMailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl SmtpMailer {
    /// `url`: `smtp://user:password@host:587?tls=required` (STARTTLS),
    /// `smtps://user:password@host:465` (TLS from the start), or
    /// `smtp://host:25` (no TLS: a relay on the same machine). `from`: a
    /// mailbox, `Chai & Co <feedback@chai.example>`. The errors never
    /// repeat the URL, which may hold a password.
    pub fn new(url: &str, from: &str) -> Result<SmtpMailer, String> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|_| {
                "SMTP_URL is not an SMTP server's URL (smtp://user:password@host:587?tls=required, \
                 or smtps://user:password@host:465)"
                    .to_owned()
            })?
            .timeout(Some(TIMEOUT))
            .build();
        Ok(SmtpMailer {
            transport,
            from: mime::from_mailbox(from)?,
        })
    }
}

#[async_trait]
impl SendEmail for SmtpMailer {
    async fn send_email(&self, email: &EmailMessage) -> Result<(), NotSent> {
        let message = mime::message(email, &self.from)?;
        self.transport
            .send(message)
            .await
            .map(drop)
            .map_err(|e| not_sent(&e))
    }
}

/// What an SMTP error means for the message: the server's own answer
/// decides (a 5xx is final, a 4xx is tried again); anything else (no
/// connection, a timeout, TLS) is tried again. Only the reply code is
/// kept: the server's text may repeat the address.
fn not_sent(e: &lettre::transport::smtp::Error) -> NotSent {
    match e.status() {
        Some(code) if e.is_permanent() => {
            NotSent::Refused(format!("the mail server refused it ({code})"))
        }
        Some(code) => NotSent::Retry(format!("the mail server deferred it ({code})")),
        None if e.is_timeout() => NotSent::Retry("the mail server did not answer in time".into()),
        None => NotSent::Retry("the mail server could not be reached".into()),
    }
}
