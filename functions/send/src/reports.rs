//! What SES reports of the e-mails it took: permanent bounces and
//! complaints, which the stack's configuration set publishes to an SNS
//! topic the `send` function is subscribed to. Each report finds its
//! invitation by the tag the message went with ([`crate::aws::INVITATION_TAG`])
//! and is recorded there ([`record_report`]): the address goes on the
//! tenant's suppression list, so SES's reputation (and the tenant's
//! sending) is not spent on it again.

use crate::aws::INVITATION_TAG;
use chrono::{DateTime, Utc};
use feedback_app::sending::{Report, record_report};
use feedback_core::Code;
use feedback_store::{Store, StoreError};
use serde::Deserialize;
use std::collections::HashMap;

/// SNS's event for Lambda, as far as it is read here: each record's
/// message. (`aws_lambda_events`' own type, behind its `sns` feature,
/// brings `serde_with` and about twenty crates more for the same field.)
#[derive(Debug, Deserialize)]
pub struct SnsEvent {
    #[serde(rename = "Records")]
    pub records: Vec<SnsRecord>,
}

#[derive(Debug, Deserialize)]
pub struct SnsRecord {
    #[serde(rename = "Sns")]
    pub sns: SnsMessage,
}

#[derive(Debug, Deserialize)]
pub struct SnsMessage {
    /// What was published: here, one SES event record as JSON.
    #[serde(rename = "Message")]
    pub message: String,
}

/// One SES event record, as far as it is read here. Its layout:
/// <https://docs.aws.amazon.com/ses/latest/dg/event-publishing-retrieving-sns-contents.html>
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SesEvent {
    event_type: String,
    #[serde(default)]
    bounce: Option<Bounce>,
    mail: Mail,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Bounce {
    bounce_type: String,
    #[serde(default)]
    bounce_sub_type: String,
}

#[derive(Deserialize)]
struct Mail {
    #[serde(default)]
    tags: HashMap<String, Vec<String>>,
}

/// What an SES event (an SNS message's text) asks to record, and for which
/// invitation; `None` when nothing: a transient or undetermined bounce
/// (SES has already retried it, and the address may work tomorrow),
/// another kind of event, or a message without an invitation's tag.
pub fn read(message: &str) -> Result<Option<(Code, Report)>, String> {
    // Not serde's message: it may quote a value, and values here hold
    // addresses.
    let event: SesEvent = serde_json::from_str(message).map_err(|e| {
        format!(
            "not an SES event ({:?} at column {})",
            e.classify(),
            e.column()
        )
    })?;
    let report = match (event.event_type.as_str(), &event.bounce) {
        ("Bounce", Some(b)) if b.bounce_type == "Permanent" => Report::Bounced(format!(
            "the address bounced (SES: {})",
            format!("{} {}", b.bounce_type, b.bounce_sub_type).trim_end()
        )),
        ("Complaint", _) => Report::Complained,
        _ => return Ok(None),
    };
    let Some(tag) = event.mail.tags.get(INVITATION_TAG).and_then(|v| v.first()) else {
        return Ok(None);
    };
    let code = Code::parse(INVITATION_TAG, tag)
        .map_err(|e| format!("the {} tag {}", e.field, e.message))?;
    Ok(Some((code, report)))
}

/// What [`record`] did with an SNS event's records.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Recorded {
    /// Reports recorded on their invitation.
    pub recorded: usize,
    /// Records with nothing to record, or that could not be read.
    pub ignored: usize,
}

/// Records, at `now`, every report in `event` on its invitation. A record
/// that cannot be read is logged and skipped (SNS would only deliver it
/// again); a store error fails the whole event, which Lambda then retries:
/// recording a report twice changes nothing.
pub async fn record(
    store: &dyn Store,
    event: &SnsEvent,
    now: DateTime<Utc>,
) -> Result<Recorded, StoreError> {
    let mut done = Recorded::default();
    for record in &event.records {
        match read(&record.sns.message) {
            Ok(Some((code, report))) => {
                if record_report(store, &code, &report, now).await? {
                    tracing::info!(code = %code, ?report, "SES reported a message");
                    done.recorded += 1;
                } else {
                    done.ignored += 1;
                }
            }
            Ok(None) => done.ignored += 1,
            Err(reason) => {
                tracing::warn!(reason, "an SES report could not be read");
                done.ignored += 1;
            }
        }
    }
    Ok(done)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An SES event record shaped as the SES documentation's examples.
    fn event(kind: &str, detail: &str, tags: &str) -> String {
        format!(
            r#"{{"eventType":"{kind}",{detail}"mail":{{"timestamp":"2026-06-01T06:00:00.000Z",
            "source":"feedback@chai.example","messageId":"0100-abc","destination":["zara@example.pk"],
            "headersTruncated":false,"tags":{{"ses:configuration-set":["feedback-chai"],{tags}}}}}}}"#
        )
    }

    #[test]
    fn a_permanent_bounce_and_a_complaint_name_their_invitation() {
        let bounce = r#""bounce":{"bounceType":"Permanent","bounceSubType":"General",
            "bouncedRecipients":[{"emailAddress":"zara@example.pk","action":"failed","status":"5.1.1",
            "diagnosticCode":"smtp; 550 5.1.1 user unknown"}],"timestamp":"2026-06-01T06:01:00.000Z"},"#;
        let tag = r#""invitation":["ABCDEFGHJKLM"]"#;
        let (code, report) = read(&event("Bounce", bounce, tag)).unwrap().unwrap();
        assert_eq!(code.as_str(), "ABCDEFGHJKLM");
        assert_eq!(
            report,
            Report::Bounced("the address bounced (SES: Permanent General)".into()),
            "the diagnostic, which repeats the address, is not kept"
        );
        let bare = event("Bounce", r#""bounce":{"bounceType":"Permanent"},"#, tag);
        assert_eq!(
            read(&bare).unwrap().unwrap().1,
            Report::Bounced("the address bounced (SES: Permanent)".into()),
            "a bounce without its subtype"
        );
        let complaint = r#""complaint":{"complainedRecipients":[{"emailAddress":"zara@example.pk"}],
            "complaintFeedbackType":"abuse","timestamp":"2026-06-01T07:00:00.000Z"},"#;
        assert_eq!(
            read(&event("Complaint", complaint, tag))
                .unwrap()
                .unwrap()
                .1,
            Report::Complained
        );
    }

    #[test]
    fn what_is_not_a_lasting_report_of_a_tagged_message_is_passed_over() {
        let tag = r#""invitation":["ABCDEFGHJKLM"]"#;
        for bounce_type in ["Transient", "Undetermined"] {
            let bounce = format!(
                r#""bounce":{{"bounceType":"{bounce_type}","bounceSubType":"MailboxFull"}},"#
            );
            assert_eq!(read(&event("Bounce", &bounce, tag)).unwrap(), None);
        }
        let delivery = r#""delivery":{"recipients":["zara@example.pk"]},"#;
        assert_eq!(read(&event("Delivery", delivery, tag)).unwrap(), None);
        let permanent = r#""bounce":{"bounceType":"Permanent","bounceSubType":"General"},"#;
        let untagged = event("Bounce", permanent, r#""campaign":["x"]"#);
        assert_eq!(read(&untagged).unwrap(), None, "not one of ours");
        let bad = event("Bounce", permanent, r#""invitation":["no/such"]"#);
        assert!(read(&bad).unwrap_err().contains("invitation"));
        assert!(read("not json").is_err());
    }
}
