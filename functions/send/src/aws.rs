//! E-mail through SES (API v2) and SMS through SNS, in the tenant's own
//! account: the `send` function's messengers. Both reach AWS with the
//! function's role, through the same HTTPS client as DynamoDB.

use crate::{SendEmail, SendSms, mime};
use async_trait::async_trait;
use aws_sdk_sesv2::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_sesv2::primitives::Blob;
use aws_sdk_sesv2::types::{Destination, EmailContent, MessageTag, RawMessage};
use aws_sdk_sns::types::MessageAttributeValue;
use aws_types::SdkConfig;
use feedback_app::sending::{EmailMessage, NotSent, SmsMessage};
use feedback_core::sending::Media;
use lettre::message::Mailbox;

/// The senders a deployment has: e-mail when `MAIL_FROM` names an SES
/// identity's address, SMS when `SMS_ENABLED` is `true`.
pub type AwsMessengers = crate::Senders<Ses, Sns>;

/// The message tag naming an e-mail's invitation, which SES repeats in
/// its reports of the message (bounces, complaints).
pub const INVITATION_TAG: &str = "invitation";

/// From the function's environment: `MAIL_FROM` (and
/// `MAIL_CONFIGURATION_SET`), `SMS_ENABLED` (and `SMS_SENDER_ID`,
/// `SMS_ORIGINATION_NUMBER`).
pub fn from_env(config: &SdkConfig) -> Result<AwsMessengers, String> {
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    let media = Media::deployed(var);
    let email = var("MAIL_FROM")
        .map(|from| {
            let client = aws_sdk_sesv2::Client::new(config);
            Ses::new(client, &from, var("MAIL_CONFIGURATION_SET"))
        })
        .transpose()?;
    let sms = media.sms.then(|| Sns {
        sender_id: var("SMS_SENDER_ID"),
        origination_number: var("SMS_ORIGINATION_NUMBER"),
        ..Sns::new(aws_sdk_sns::Client::new(config))
    });
    Ok(crate::Senders { email, sms })
}

/// SES v2, sending the MIME form of the message (its one-click
/// unsubscribe headers included) from a verified identity, tagged with its
/// invitation.
pub struct Ses {
    client: aws_sdk_sesv2::Client,
    from: Mailbox,
    /// The configuration set whose event destination reports bounces and
    /// complaints back to the function ([`crate::reports`]).
    configuration_set: Option<String>,
}

impl Ses {
    /// On `client`, from `from` (an address, or `Name <address>`), through
    /// `configuration_set` when there is one.
    pub fn new(
        client: aws_sdk_sesv2::Client,
        from: &str,
        configuration_set: Option<String>,
    ) -> Result<Ses, String> {
        Ok(Ses {
            client,
            from: mime::from_mailbox(from)?,
            configuration_set,
        })
    }
}

/// SES's refusals of the message itself; anything else (throttling, a
/// paused account, no answer) is tried again.
const SES_REFUSALS: [&str; 3] = [
    "BadRequestException",
    "MessageRejected",
    "NotFoundException",
];

#[async_trait]
impl SendEmail for Ses {
    async fn send_email(&self, email: &EmailMessage) -> Result<(), NotSent> {
        let raw = mime::message(email, &self.from)?.formatted();
        let content = RawMessage::builder()
            .data(Blob::new(raw))
            .build()
            .map_err(|_| NotSent::Refused("the message could not be written".into()))?;
        // An invitation code is base62, which a tag value may hold.
        let tag = MessageTag::builder()
            .name(INVITATION_TAG)
            .value(&email.invitation)
            .build()
            .map_err(|_| NotSent::Refused("the message could not be tagged".into()))?;
        self.client
            .send_email()
            .from_email_address(self.from.email.to_string())
            .destination(Destination::builder().to_addresses(&email.to).build())
            .content(EmailContent::builder().raw(content).build())
            .email_tags(tag)
            .set_configuration_set_name(self.configuration_set.clone())
            .send()
            .await
            .map(drop)
            .map_err(|e| not_sent("SES", &e, &SES_REFUSALS))
    }
}

/// SNS, publishing to the number as a transactional SMS.
pub struct Sns {
    client: aws_sdk_sns::Client,
    sender_id: Option<String>,
    origination_number: Option<String>,
}

impl Sns {
    pub fn new(client: aws_sdk_sns::Client) -> Sns {
        Sns {
            client,
            sender_id: None,
            origination_number: None,
        }
    }
}

/// SNS's refusals of the message itself.
const SNS_REFUSALS: [&str; 2] = ["InvalidParameter", "InvalidParameterValue"];

fn attribute(value: &str) -> MessageAttributeValue {
    MessageAttributeValue::builder()
        .data_type("String")
        .string_value(value)
        .build()
        .expect("the data type is set")
}

#[async_trait]
impl SendSms for Sns {
    async fn send_sms(&self, sms: &SmsMessage) -> Result<(), NotSent> {
        // A number that replied STOP is on the account's opt-out list, and
        // SNS would drop the message without a word: ask first, and put
        // the contact on the tenant's list.
        let opted_out = self
            .client
            .check_if_phone_number_is_opted_out()
            .phone_number(&sms.to)
            .send()
            .await
            .map_err(|e| not_sent("SNS", &e, &SNS_REFUSALS))?
            .is_opted_out;
        if opted_out {
            return Err(NotSent::OptedOut);
        }
        let mut publish = self
            .client
            .publish()
            .phone_number(&sms.to)
            .message(&sms.text)
            .message_attributes("AWS.SNS.SMS.SMSType", attribute("Transactional"));
        if let Some(id) = &self.sender_id {
            publish = publish.message_attributes("AWS.SNS.SMS.SenderID", attribute(id));
        }
        if let Some(number) = &self.origination_number {
            publish = publish.message_attributes("AWS.MM.SMS.OriginationNumber", attribute(number));
        }
        publish
            .send()
            .await
            .map(drop)
            .map_err(|e| not_sent("SNS", &e, &SNS_REFUSALS))
    }
}

/// What an AWS error means for the message: a refusal of the message
/// itself (`refusals`) is final; anything else is tried again. Only the
/// error's code is kept: its text may repeat the address or number.
fn not_sent<E: ProvideErrorMetadata, R>(
    service: &str,
    e: &SdkError<E, R>,
    refusals: &[&str],
) -> NotSent {
    match e {
        SdkError::ServiceError(_) => {
            let code = e.code().unwrap_or("an unnamed error");
            let reason = format!("{service} answered {code}");
            if refusals.contains(&code) {
                NotSent::Refused(reason)
            } else {
                NotSent::Retry(reason)
            }
        }
        SdkError::TimeoutError(_) => NotSent::Retry(format!("{service} did not answer in time")),
        _ => NotSent::Retry(format!("{service} could not be reached")),
    }
}
