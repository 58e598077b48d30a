//! An e-mail invitation in its MIME form: the same bytes go to an SMTP
//! server and to SES.

use feedback_app::sending::{EmailMessage, NotSent};
use lettre::message::header::{HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart};

/// RFC 2369: where a mail client's "unsubscribe" goes.
const LIST_UNSUBSCRIBE: HeaderName = HeaderName::new_from_ascii_str("List-Unsubscribe");
/// RFC 8058: that a POST to it unsubscribes at once, with no page between.
const LIST_UNSUBSCRIBE_POST: HeaderName = HeaderName::new_from_ascii_str("List-Unsubscribe-Post");

/// `email` from `from`: HTML and plain text as alternatives, with the
/// headers the large mailbox providers ask of bulk senders for a
/// one-click unsubscribe.
pub fn message(email: &EmailMessage, from: &Mailbox) -> Result<lettre::Message, NotSent> {
    let refused = |reason: &str| NotSent::Refused(reason.to_owned());
    let to: Mailbox = email
        .to
        .parse()
        .map_err(|_| refused("the address cannot be written in a message"))?;
    lettre::Message::builder()
        .from(from.clone())
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
        .map_err(|_| refused("the message could not be written"))
}

/// `MAIL_FROM`'s mailbox (`Chai & Co <feedback@chai.example>`).
pub fn from_mailbox(from: &str) -> Result<Mailbox, String> {
    from.parse().map_err(|e| {
        format!("MAIL_FROM is not a mailbox (\"Chai & Co <feedback@chai.example>\"): {e}")
    })
}
