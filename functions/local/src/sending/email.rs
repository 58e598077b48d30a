//! The local server's e-mail: SMTP to the server the operator names
//! (`SMTP_URL`), from the address it names (`MAIL_FROM`).

use crate::sending::TIMEOUT;
use feedback_app::sending::{EmailMessage, NotSent};
use lettre::message::header::{HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};

/// RFC 2369: where a mail client's "unsubscribe" goes.
const LIST_UNSUBSCRIBE: HeaderName = HeaderName::new_from_ascii_str("List-Unsubscribe");
/// RFC 8058: that a POST to it unsubscribes at once, with no page between.
const LIST_UNSUBSCRIBE_POST: HeaderName = HeaderName::new_from_ascii_str("List-Unsubscribe-Post");

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
        let from = from.parse().map_err(|e| {
            format!("MAIL_FROM is not a mailbox (\"Chai & Co <feedback@chai.example>\"): {e}")
        })?;
        Ok(SmtpMailer { transport, from })
    }

    pub(crate) async fn send(&self, email: &EmailMessage) -> Result<(), NotSent> {
        let refused = |reason: &str| NotSent {
            reason: reason.to_owned(),
            retry: false,
        };
        let to: Mailbox = email
            .to
            .parse()
            .map_err(|_| refused("the address cannot be written in a message"))?;
        let message = lettre::Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(&email.subject)
            .raw_header(HeaderValue::new(
                LIST_UNSUBSCRIBE,
                format!("<{}>", email.unsubscribe_url),
            ))
            .raw_header(HeaderValue::new(
                LIST_UNSUBSCRIBE_POST,
                "List-Unsubscribe=One-Click".to_owned(),
            ))
            .multipart(MultiPart::alternative_plain_html(
                email.text.clone(),
                email.html.clone(),
            ))
            .map_err(|_| refused("the message could not be written"))?;
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
        Some(code) if e.is_permanent() => NotSent {
            reason: format!("the mail server refused it ({code})"),
            retry: false,
        },
        Some(code) => NotSent {
            reason: format!("the mail server deferred it ({code})"),
            retry: true,
        },
        None if e.is_timeout() => NotSent {
            reason: "the mail server did not answer in time".into(),
            retry: true,
        },
        None => NotSent {
            reason: "the mail server could not be reached".into(),
            retry: true,
        },
    }
}
