//! What the invitations the product sends say: an e-mail (HTML and plain
//! text, one-tap score buttons that only preselect, an unsubscribe link
//! for `List-Unsubscribe`) or an SMS (with its opt-out link), in the
//! invitation's language, naming the business and the reps who served.

use crate::pages::esc;
use crate::pages::i18n::{Strings, fill_names, strings, supported};
use feedback_app::sending::{Compose, EmailMessage, Message, SmsMessage};
use feedback_core::abuse::Secret;
use feedback_core::sending::Recipient;
use feedback_core::{Invitation, Locale, Rep, Settings, SurveyKind, sms};
use std::fmt::Write;

/// The fewest characters of the business's name an SMS is cut to, to fit
/// one message: fewer reads as spam, and a second message is better than
/// that.
const SMS_NAME_SHORTEST: usize = 12;

/// The main question as plain text (naming the reps, if any, on CSAT),
/// with the words at each end of its scale.
pub(crate) fn question<'s>(
    s: &'s Strings,
    kind: SurveyKind,
    business: &str,
    reps: &[&str],
) -> (String, &'s str, &'s str) {
    let about = |template: &str| template.replace("{business}", business);
    match kind {
        SurveyKind::Csat if !reps.is_empty() => (
            fill_names(s, &s.csat_question_rep, "rep", reps),
            &s.csat_low,
            &s.csat_high,
        ),
        SurveyKind::Csat => (about(&s.csat_question), &s.csat_low, &s.csat_high),
        SurveyKind::Nps => (about(&s.nps_question), &s.nps_low, &s.nps_high),
        SurveyKind::Ces => (about(&s.ces_question), &s.ces_low, &s.ces_high),
    }
}

/// An e-mail block: the question and one button per score, each a one-click
/// link that opens the page with that score chosen (a GET never records, so
/// mail scanners following every link change nothing). Inline styles,
/// because e-mail clients drop style sheets.
pub(crate) fn email_html(
    url: &str,
    question: &str,
    kind: SurveyKind,
    low: &str,
    high: &str,
    dir: &str,
) -> String {
    let mut html = format!(
        "<table role=\"presentation\" dir=\"{dir}\" style=\"font-family:Arial,sans-serif;border-collapse:collapse\">\
         <tr><td style=\"font-size:16px;font-weight:bold;padding:0 0 8px\">{}</td></tr><tr><td>",
        esc(question)
    );
    for score in kind.min()..=kind.max() {
        let _ = write!(
            html,
            "<a href=\"{}?score={score}\" style=\"display:inline-block;min-width:28px;margin:0 4px 4px 0;padding:10px 8px;\
             border:2px solid #1d4ed8;border-radius:6px;color:#1d4ed8;text-align:center;text-decoration:none;font-weight:bold\">{score}</a>",
            esc(url)
        );
    }
    let _ = write!(
        html,
        "</td></tr><tr><td style=\"font-size:12px;color:#4b5563\">{} — {}</td></tr></table>",
        esc(low),
        esc(high)
    );
    html
}

/// Composes the tenant's messages; its links start at `base_url`.
pub struct Composer {
    base_url: String,
    secret: Secret,
    /// The tenant's language when neither the invitation nor the settings
    /// name one.
    default_locale: Option<Locale>,
}

impl Composer {
    pub fn new(base_url: &str, secret: Secret, default_locale: Option<Locale>) -> Composer {
        Composer {
            base_url: base_url.trim_end_matches('/').to_owned(),
            secret,
            default_locale,
        }
    }

    fn language(&self, invitation: &Invitation, settings: &Settings) -> &'static str {
        let from = |l: &Locale| supported(l.as_str());
        (invitation.locale.as_ref().and_then(from))
            .or_else(|| settings.default_locale.as_ref().and_then(from))
            .or_else(|| self.default_locale.as_ref().and_then(from))
            .unwrap_or("en")
    }
}

impl Compose for Composer {
    fn compose(
        &self,
        invitation: &Invitation,
        reps: &[Rep],
        settings: &Settings,
        to: &Recipient,
        reminder: bool,
    ) -> Message {
        let lang = self.language(invitation, settings);
        let s = strings(lang);
        let m = &s.message;
        let business = settings.display_name.as_str();
        let url = format!("{}/r/{}", self.base_url, invitation.code);
        let token = self.secret.unsubscribe_token(invitation.code.as_str());
        let opt_out = format!("{}/u/{token}", self.base_url);
        let fill_for = |template: &str, business: &str| {
            template
                .replace("{business}", business)
                .replace("{url}", &url)
                .replace("{opt_out}", &opt_out)
        };
        let fill = |template: &str| fill_for(template, business);
        match to {
            Recipient::Phone(phone) => {
                let template = if reminder { &m.sms_reminder } else { &m.sms };
                let text = |name: &str| fill_for(template, name);
                Message::Sms(SmsMessage {
                    to: phone.as_str().to_owned(),
                    text: sms::with_name_to_fit(business, SMS_NAME_SHORTEST, text)
                        .unwrap_or_else(|| text(business)),
                })
            }
            Recipient::Email(email) => {
                let names: Vec<&str> = reps.iter().map(|r| r.display_name.as_str()).collect();
                let kind = invitation.attribution.survey;
                let (asked, low, high) = question(s, kind, business, &names);
                let subject = fill(if reminder {
                    &m.reminder_subject
                } else {
                    &m.subject
                });
                let intro = fill(&m.intro);
                let text = format!(
                    "{intro}\n\n{asked}\n{}\n\n{}\n",
                    fill(&m.link),
                    m.unsubscribe.replace("{url}", &opt_out)
                );
                let footer = esc(&m.unsubscribe).replace(
                    "{url}",
                    &format!(
                        "<a href=\"{}\">{}</a>",
                        esc(&opt_out),
                        esc(&m.unsubscribe_link)
                    ),
                );
                let html = format!(
                    "<!doctype html><html lang=\"{lang}\" dir=\"{dir}\"><head><meta charset=\"utf-8\"><title>{title}</title></head>\
                     <body style=\"font-family:Arial,sans-serif\"><p>{intro}</p>{block}\
                     <p style=\"font-size:12px\"><a href=\"{link}\">{link}</a></p>\
                     <p style=\"font-size:12px;color:#4b5563\">{footer}</p></body></html>",
                    dir = s.dir,
                    title = esc(&subject),
                    intro = esc(&intro),
                    block = email_html(&url, &asked, kind, low, high, &s.dir),
                    link = esc(&url),
                );
                Message::Email(EmailMessage {
                    invitation: invitation.code.as_str().to_owned(),
                    to: email.as_str().to_owned(),
                    subject,
                    text,
                    html,
                    unsubscribe_url: opt_out,
                })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use feedback_core::model::NewInvitation;
    use feedback_core::sending::{Email, Phone};
    use feedback_core::time::TenantZone;
    use feedback_core::{Code, RepId};

    fn invitation(locale: &str) -> Invitation {
        NewInvitation {
            order_id: Some("A-1".into()),
            channel: Some("email".into()),
            rep_id: Some("ayesha".into()),
            also_rep_ids: Some(vec!["bilal".into()]),
            locale: Some(locale.into()),
            ..Default::default()
        }
        .validate(SurveyKind::Csat)
        .unwrap()
        .issue(
            Code::parse("c", "ABCDEFGHIJKL").unwrap(),
            "2026-06-01T10:00:00Z".parse().unwrap(),
            chrono::Duration::days(30),
            &TenantZone::parse("z", "UTC").unwrap(),
        )
    }

    fn reps() -> Vec<Rep> {
        [("ayesha", "Ayesha"), ("bilal", "Bilal")]
            .map(|(id, name)| Rep {
                id: RepId::parse("r", id).unwrap(),
                display_name: name.into(),
                team: None,
                active: true,
                archived_at: None,
            })
            .to_vec()
    }

    fn composer() -> Composer {
        Composer::new("https://fb.example/", Secret::new([7; 32]), None)
    }

    fn settings() -> Settings {
        Settings::defaults("Chai & Co")
    }

    #[test]
    fn the_email_block_links_every_score_and_escapes() {
        let html = email_html(
            "https://x.test/r/ABCDEFGHIJKL",
            "How was <it>?",
            SurveyKind::Nps,
            "no",
            "yes",
            "ltr",
        );
        for n in 0..=10 {
            assert!(html.contains(&format!("https://x.test/r/ABCDEFGHIJKL?score={n}\"")));
        }
        assert!(html.contains("How was &lt;it&gt;?"));
    }

    #[test]
    fn an_email_names_the_reps_links_every_score_and_how_to_leave() {
        let to = Recipient::Email(Email::parse("e", "ayesha@example.pk").unwrap());
        let Message::Email(m) =
            composer().compose(&invitation("en"), &reps(), &settings(), &to, false)
        else {
            panic!("an e-mail");
        };
        let token = Secret::new([7; 32]).unsubscribe_token("ABCDEFGHIJKL");
        assert_eq!(m.to, "ayesha@example.pk");
        assert_eq!(m.subject, "How was your visit to Chai & Co?");
        assert_eq!(m.unsubscribe_url, format!("https://fb.example/u/{token}"));
        assert!(
            m.text
                .contains("How was your experience with Ayesha and Bilal?"),
            "{}",
            m.text
        );
        assert!(m.text.contains("https://fb.example/r/ABCDEFGHIJKL"));
        assert!(m.text.contains(&m.unsubscribe_url));
        for n in 1..=5 {
            assert!(
                m.html
                    .contains(&format!("https://fb.example/r/ABCDEFGHIJKL?score={n}\""))
            );
        }
        assert!(m.html.contains("Chai &amp; Co") && !m.html.contains("Chai & Co"));
        assert!(m.html.contains(&format!(
            "<a href=\"https://fb.example/u/{token}\">Unsubscribe</a>"
        )));
    }

    #[test]
    fn messages_speak_the_invitations_language() {
        let to = Recipient::Email(Email::parse("e", "a@example.pk").unwrap());
        let Message::Email(ur) =
            composer().compose(&invitation("ur"), &reps(), &settings(), &to, true)
        else {
            panic!("an e-mail");
        };
        assert_eq!(
            ur.subject,
            "Chai & Co کی طرف سے یاد دہانی: ہماری خدمت کیسی رہی؟"
        );
        assert!(ur.html.contains("dir=\"rtl\"") && ur.html.contains("lang=\"ur\""));
        assert!(ur.text.contains("Ayesha اور Bilal"), "{}", ur.text);
        let phone = Recipient::Phone(Phone::parse("p", "+919812345678").unwrap());
        let Message::Sms(hi) =
            composer().compose(&invitation("hi"), &[], &settings(), &phone, false)
        else {
            panic!("an SMS");
        };
        assert_eq!(hi.to, "+919812345678");
        assert!(
            hi.text.starts_with("Chai & Co: हमारी सेवा कैसी रही?"),
            "{}",
            hi.text
        );
        assert!(hi.text.contains("https://fb.example/u/ABCDEFGHIJKL."));
    }

    #[test]
    fn an_english_sms_fits_one_message() {
        let phone = Recipient::Phone(Phone::parse("p", "+923001234567").unwrap());
        for reminder in [false, true] {
            let Message::Sms(sms) =
                composer().compose(&invitation("en"), &[], &settings(), &phone, reminder)
            else {
                panic!("an SMS");
            };
            assert!(sms::fits_one_sms(&sms.text), "{}", sms.text);
            assert!(sms.text.contains("Opt out: https://fb.example/u/"));
        }
    }

    #[test]
    fn a_long_name_is_cut_to_fit_one_sms_but_stays_recognisable() {
        let phone = Recipient::Phone(Phone::parse("p", "+923001234567").unwrap());
        let long = Settings::defaults("Chai Corner & Bakery, Gulberg Branch");
        let text = |composer: &Composer, settings: &Settings, locale: &str| match composer.compose(
            &invitation(locale),
            &[],
            settings,
            &phone,
            false,
        ) {
            Message::Sms(sms) => sms.text,
            Message::Email(_) => panic!("an SMS"),
        };
        let domain = Composer::new("https://feedback.chai.example", Secret::new([7; 32]), None);
        let cut = text(&domain, &long, "en");
        assert!(sms::fits_one_sms(&cut), "{cut}");
        assert!(
            cut.starts_with("Chai Corner & Bakery, Gu.: how did we do? Rate us: https://feedback.chai.example/r/ABCDEFGHIJKL Opt out: https://feedback.chai.example/u/"),
            "{cut}"
        );
        // A short one is whole.
        assert!(text(&domain, &settings(), "en").starts_with("Chai & Co: "));
        // Behind API Gateway's own long host, not even 12 characters of the
        // name would fit: the name stays whole, in two messages.
        let gateway = Composer::new(
            "https://abcdef1234.execute-api.eu-west-1.amazonaws.com",
            Secret::new([7; 32]),
            None,
        );
        let whole = text(&gateway, &long, "en");
        assert!(
            whole.starts_with("Chai Corner & Bakery, Gulberg Branch: "),
            "{whole}"
        );
        assert!(!sms::fits_one_sms(&whole));
        // Urdu needs UCS-2, 70 characters, which two links alone pass.
        let ur = text(&domain, &long, "ur");
        assert!(
            ur.starts_with("Chai Corner & Bakery, Gulberg Branch: "),
            "{ur}"
        );
    }
}
