//! Invitations the product sends, by SMS and e-mail: once, in their
//! language, at most one reminder; cancelled by an answer or an erasure; a
//! refusal recorded, a provider's hiccup retried; refused up front where
//! nothing could send them. The sweeps run with an explicit clock.

use crate::*;

async fn sending_of(s: &Server, key: &str, code: &str) -> Value {
    let r = s
        .call("GET", &format!("/v1/invitations/{code}"), Some(key), None)
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.body["sending"].clone()
}

/// Lets messages go at any hour: the cases' clocks are not the tenant's day.
pub async fn send_any_time(s: &Server) {
    put_sending(s, json!({"quiet_hours": null})).await;
}

/// Sets the tenant's sending rules.
async fn put_sending(s: &Server, rules: Value) {
    let r = s
        .call(
            "PUT",
            "/v1/settings",
            Some(&s.admin),
            Some(json!({ "sending": rules })),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
}

/// The code of a new invitation for `order` that the product sends to
/// `phone`, `after` minutes on.
async fn sms_invitation(s: &Server, key: &str, order: &str, phone: &str, after: i64) -> String {
    let inv = invite(
        s,
        key,
        json!({"order_id": order, "channel": "sms", "recipient": {"phone": phone}, "send_after_minutes": after}),
    )
    .await;
    inv["code"].as_str().unwrap().to_owned()
}

pub async fn invitations_are_sent_once_in_their_language_then_reminded(s: &Server) {
    let admin = s.admin.clone();
    put_sending(s, json!({"quiet_hours": null, "reminder_days": 2})).await;
    let writer = s.key(&["invitations:write"]).await;
    let sms = s.sms.as_ref().expect("a local server");

    // What cannot be sent is refused, each field named.
    let refused = |body: Value| {
        let writer = writer.clone();
        async move {
            let r = s
                .call("POST", "/v1/invitations", Some(&writer), Some(body))
                .await;
            (r.status, r.fields())
        }
    };
    let fields = |names: &[&str]| names.iter().map(|f| f.to_string()).collect::<Vec<_>>();
    assert_eq!(
        refused(json!({"order_id": "E-1", "channel": "sms", "recipient": {"phone": "0300 1234567"}, "send_at": "soon"})).await,
        (400, fields(&["send_at", "recipient.phone"]))
    );
    assert_eq!(
        refused(json!({"order_id": "E-1", "channel": "sms", "send_after_minutes": 5})).await,
        (400, fields(&["recipient"]))
    );
    assert_eq!(
        refused(json!({"order_id": "E-1", "channel": "sms", "recipient": {"phone": "+923001234567", "email": "a@example.pk"}})).await,
        (400, fields(&["recipient"]))
    );
    assert_eq!(
        refused(json!({"order_id": "E-1", "channel": "sms", "recipient": {"phone": "+923001234567"}, "send_after_minutes": 43200})).await,
        (422, fields(&["send_after_minutes"])),
        "after the invitation's 30 days"
    );

    let inv = invite(
        s,
        &writer,
        json!({"order_id": "S-1", "channel": "sms", "locale": "ur", "recipient": {"phone": "+923001234567"}, "send_after_minutes": 0}),
    )
    .await;
    let code = inv["code"].as_str().unwrap().to_owned();
    assert_eq!(
        (&inv["sending"]["status"], &inv["sending"]["medium"]),
        (&json!("scheduled"), &json!("sms"))
    );
    assert!(!inv.to_string().contains("923001234567"), "{inv}");

    // Two senders at once: one message, in Urdu, with its links.
    let t0 = Utc::now() + Duration::minutes(1);
    let (a, b) = tokio::join!(s.send_due(t0), s.send_due(t0));
    assert_eq!(a.sent + b.sent, 1, "{a:?} {b:?}");
    let got = sms.received();
    assert_eq!(got.len(), 1);
    let (body, auth) = &got[0];
    let text = body["text"].as_str().unwrap();
    assert_eq!(body["to"], "+923001234567");
    assert_eq!(
        auth.as_deref(),
        Some(format!("Bearer {SMS_TOKEN}").as_str())
    );
    assert!(text.contains("ہماری خدمت کیسی رہی"), "{text}");
    assert!(text.contains(&format!("{}/r/{code}", s.base)), "{text}");
    assert!(text.contains(&format!("{}/u/{code}.", s.base)), "{text}");
    let sent = sending_of(s, &writer, &code).await;
    assert_eq!(sent["status"], "sent", "{sent}");
    let reminder_due: DateTime<Utc> = sent["due_at"].as_str().unwrap().parse().unwrap();
    assert_eq!(reminder_due, t0 + Duration::days(2));

    // Nothing before the reminder's time; the reminder once.
    assert_eq!(s.send_due(t0 + Duration::days(1)).await.sent, 0);
    assert_eq!(s.send_due(reminder_due).await.sent, 1);
    let got = sms.received();
    assert_eq!(got.len(), 2);
    assert!(got[1].0["text"].as_str().unwrap().contains("یاد دہانی"));
    let reminded = sending_of(s, &writer, &code).await;
    assert_eq!(
        (&reminded["status"], &reminded["due_at"]),
        (&json!("reminded"), &Value::Null)
    );
    assert_eq!(s.send_due(t0 + Duration::days(9)).await.sent, 0);

    // The contact throttle holds for a number as for a customer ref.
    let r = s
        .call(
            "POST",
            "/v1/invitations",
            Some(&writer),
            Some(json!({"order_id": "S-1b", "channel": "sms", "recipient": {"phone": "+923001234567"}})),
        )
        .await;
    assert_eq!(
        (r.status, &r.body["status"]),
        (200, &json!("throttled")),
        "{}",
        r.body
    );

    // Answered before its time: cancelled, nothing sent.
    let code2 = &sms_invitation(s, &writer, "S-2", "+923001234568", 60).await;
    let r = s
        .call(
            "POST",
            &format!("/r/{code2}"),
            None,
            Some(json!({"score": 5})),
        )
        .await;
    assert_eq!(r.status, 201);
    assert_eq!(s.send_due(t0 + Duration::hours(2)).await.cancelled, 1);
    let cancelled = sending_of(s, &writer, code2).await;
    assert_eq!(
        (&cancelled["status"], &cancelled["cancelled"]),
        (&json!("cancelled"), &json!("answered"))
    );

    // A gateway's refusal is recorded; its hiccup is tried again.
    sms.answer(400);
    let bad = &sms_invitation(s, &writer, "S-3", "+923001234569", 0).await;
    assert_eq!(s.send_due(t0).await.not_sent, 1);
    let failed = sending_of(s, &writer, bad).await;
    assert_eq!(failed["status"], "failed");
    assert!(
        failed["failure"].as_str().unwrap().contains("400"),
        "{failed}"
    );
    sms.answer(503);
    let flaky = &sms_invitation(s, &writer, "S-4", "+923001234560", 0).await;
    assert_eq!(s.send_due(t0).await.not_sent, 1);
    assert_eq!(sending_of(s, &writer, flaky).await["status"], "scheduled");
    sms.answer(202);
    assert_eq!(s.send_due(t0 + Duration::minutes(2)).await.sent, 1);
    assert_eq!(sending_of(s, &writer, flaky).await["status"], "sent");

    // An erased customer's message never goes.
    let erased = invite(
        s,
        &writer,
        json!({"order_id": "S-5", "channel": "sms", "customer_ref": "cust-9", "recipient": {"phone": "+923001234561"}, "send_after_minutes": 30}),
    )
    .await;
    let erased = erased["code"].as_str().unwrap();
    let r = s
        .call("DELETE", "/v1/customers/cust-9", Some(&admin), None)
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let dropped = sending_of(s, &writer, erased).await;
    assert_eq!(
        (&dropped["status"], &dropped["cancelled"]),
        (&json!("cancelled"), &json!("erased"))
    );
    let before = sms.received().len();
    s.send_due(t0 + Duration::hours(1)).await;
    assert_eq!(sms.received().len(), before);
}

/// The opt-out link of a message: a GET only asks; the POST (the page's
/// button, or a mail client's one-click) stops that message and every
/// later one to the same contact, in the invitation's language.
pub async fn an_opt_out_link_stops_every_message_to_that_contact(s: &Server) {
    use feedback_core::sending::{Phone, Recipient, Sending, Status};
    let secret = s.store.secret().await.unwrap();
    let phone = "+923001234567";
    let hash = secret.suppression(phone);
    let now = Utc::now();
    let invitation = feedback_core::Invitation {
        sending: Some(Sending::scheduled(
            Recipient::Phone(Phone::parse("p", phone).unwrap()),
            hash.clone(),
            now + Duration::hours(1),
        )),
        ..feedback_core::model::NewInvitation {
            order_id: Some("U-1".into()),
            channel: Some("sms".into()),
            locale: Some("ur".into()),
            ..Default::default()
        }
        .validate(feedback_core::SurveyKind::Csat)
        .unwrap()
        .issue(
            feedback_core::Code::generate().unwrap(),
            now,
            Duration::days(30),
            &s.tenant.zone,
        )
    };
    s.store.create_invitation(&invitation, None).await.unwrap();
    let token = secret.unsubscribe_token(invitation.code.as_str());
    let path = format!("/u/{token}");

    let page = s.browser("GET", &path, "", &[]).await;
    assert_eq!(page.status, 200, "{}", page.text);
    assert!(
        page.text.contains("Chai Corner کے پیغامات بند کریں؟"),
        "{}",
        page.text
    );
    assert!(page.text.contains(&format!("action=\"{path}\"")));
    assert!(
        s.store.suppression(&hash).await.unwrap().is_none(),
        "a GET changes nothing"
    );
    let forged = format!("/u/{}.0000000000", invitation.code);
    assert_eq!(s.browser("GET", &forged, "", &[]).await.status, 404);
    assert_eq!(
        s.browser("POST", &forged, "List-Unsubscribe=One-Click", &[])
            .await
            .status,
        404
    );

    // A mail client's one-click POST, then the page's button again.
    for _ in 0..2 {
        let done = s
            .browser("POST", &path, "List-Unsubscribe=One-Click", &[])
            .await;
        assert_eq!(done.status, 200, "{}", done.text);
        assert!(
            done.text
                .contains("Chai Corner کی طرف سے کوئی پیغام نہیں ملے گا")
        );
    }
    assert!(s.store.suppression(&hash).await.unwrap().is_some());
    let stored = s
        .store
        .get_invitation(&invitation.code)
        .await
        .unwrap()
        .unwrap();
    let sending = stored.sending.unwrap();
    assert_eq!(
        (sending.status, sending.recipient),
        (Status::Suppressed, None)
    );

    // Every later invitation to the number says so from the start, and
    // nothing is sent.
    let Some(sms) = &s.sms else {
        return;
    };
    let writer = s.key(&["invitations:write"]).await;
    let code = &sms_invitation(s, &writer, "U-2", phone, 0).await;
    let dropped = sending_of(s, &writer, code).await;
    assert_eq!(
        (
            &dropped["status"],
            &dropped["cancelled"],
            &dropped["due_at"]
        ),
        (&json!("suppressed"), &json!("opted_out"), &Value::Null)
    );
    let swept = s.send_due(now + Duration::hours(14)).await;
    assert_eq!((swept.sent, swept.cancelled), (0, 0));
    assert!(sms.received().is_empty());
}

/// An e-mail invitation: one message however many senders sweep, in the
/// invitation's language, naming every rep credited, with one-tap score
/// links and RFC 8058's one-click opt-out; a mail server's refusal is
/// recorded, its deferral tried again.
pub async fn invitations_are_e_mailed_with_a_one_click_opt_out(s: &Server) {
    let admin = s.admin.clone();
    send_any_time(s).await;
    put_reps(s, &admin, &[("ayesha", "Ayesha"), ("bilal", "Bilal")]).await;
    let writer = s.key(&["invitations:write"]).await;
    let mail = s.mail.as_ref().expect("a local server");
    // Each to its own address, or past the contact throttle.
    let email_invitation = |order: &'static str, to: &'static str| {
        let writer = writer.clone();
        async move {
            let inv = invite(
                s,
                &writer,
                json!({"order_id": order, "channel": "email", "recipient": {"email": to}, "send_after_minutes": 0, "force": true}),
            )
            .await;
            inv["code"].as_str().unwrap().to_owned()
        }
    };

    let inv = invite(
        s,
        &writer,
        json!({"order_id": "M-1", "channel": "email", "locale": "hi", "rep_id": "ayesha", "also_rep_ids": ["bilal"], "recipient": {"email": "Zara@Example.pk"}, "send_after_minutes": 0}),
    )
    .await;
    let code = inv["code"].as_str().unwrap().to_owned();
    assert_eq!(
        (&inv["sending"]["status"], &inv["sending"]["medium"]),
        (&json!("scheduled"), &json!("email"))
    );
    assert!(!inv.to_string().to_lowercase().contains("zara"), "{inv}");

    let t0 = Utc::now() + Duration::minutes(1);
    let (a, b) = tokio::join!(s.send_due(t0), s.send_due(t0));
    assert_eq!(a.sent + b.sent, 1, "{a:?} {b:?}");
    let got = mail.received();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].to, ["Zara@example.pk"]);
    assert_eq!(got[0].from, "feedback@chai.example");
    let message = got[0].parsed();
    assert_eq!(message.subject(), Some("Chai Corner में आपका अनुभव कैसा रहा?"));
    let token = s.store.secret().await.unwrap().unsubscribe_token(&code);
    let opt_out = format!("{}/u/{token}", s.base);
    assert_eq!(
        message.header_raw("List-Unsubscribe").map(str::trim),
        Some(format!("<{opt_out}>").as_str())
    );
    assert_eq!(
        message.header_raw("List-Unsubscribe-Post").map(str::trim),
        Some("List-Unsubscribe=One-Click")
    );
    let text = message.body_text(0).expect("a plain-text part");
    let html = message.body_html(0).expect("an HTML part");
    for body in [&text, &html] {
        assert!(body.contains(&format!("{}/r/{code}", s.base)), "{body}");
        assert!(body.contains(&opt_out), "{body}");
        assert!(body.contains("Ayesha और Bilal"), "{body}");
    }
    assert!(html.contains("lang=\"hi\""), "{html}");
    assert!(html.contains(&format!("/r/{code}?score=5")), "{html}");
    assert_eq!(sending_of(s, &writer, &code).await["status"], "sent");

    // The one-click POST a mail client makes: no page, no form token.
    let r = s
        .send_with(
            "POST",
            &format!("/u/{token}"),
            None,
            &[],
            "application/x-www-form-urlencoded",
            b"List-Unsubscribe=One-Click".to_vec(),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let again = email_invitation("M-2", "zara@example.pk").await;
    assert_eq!(
        sending_of(s, &writer, &again).await["status"],
        "suppressed",
        "an address is one contact whatever its letters' case"
    );

    // A mail server's refusal is final; its deferral is tried again.
    mail.answer(550);
    let bad = email_invitation("M-3", "nobody@example.pk").await;
    assert_eq!(s.send_due(t0).await.not_sent, 1);
    let failed = sending_of(s, &writer, &bad).await;
    assert_eq!(failed["status"], "failed");
    let failure = failed["failure"].as_str().unwrap();
    assert!(failure.contains("550"), "{failed}");
    assert!(
        !failure.contains("nobody"),
        "no address in a reason: {failed}"
    );
    mail.answer(451);
    let later = email_invitation("M-4", "later@example.pk").await;
    assert_eq!(s.send_due(t0).await.not_sent, 1);
    assert_eq!(sending_of(s, &writer, &later).await["status"], "scheduled");
    mail.answer(250);
    assert_eq!(s.send_due(t0 + Duration::minutes(2)).await.sent, 1);
    assert_eq!(sending_of(s, &writer, &later).await["status"], "sent");
    assert_eq!(mail.received().len(), 2);
}

/// A stack configured to send nothing (no `mail_from`, no `sms_sender`):
/// an invitation to be sent is refused, naming the recipient, never
/// accepted and then dropped.
pub async fn a_recipient_nothing_can_send_to_is_refused(s: &Server) {
    let writer = s.key(&["invitations:write"]).await;
    for recipient in [
        json!({"email": "a@example.pk"}),
        json!({"phone": "+923001234567"}),
    ] {
        let r = s
            .call(
                "POST",
                "/v1/invitations",
                Some(&writer),
                Some(json!({"order_id": "N-1", "channel": "sms", "recipient": recipient})),
            )
            .await;
        assert_eq!(
            (r.status, r.fields()),
            (422, vec!["recipient".to_owned()]),
            "{}",
            r.body
        );
    }
}

/// A message that went, and one that failed for good, each reach the
/// webhooks that asked for them: once, with what the API shows of the
/// invitation and never the number.
pub async fn sent_and_failed_messages_are_announced_to_webhooks(s: &Server) {
    let admin = s.admin.clone();
    let receiver = feedback_e2e::Receiver::start().await;
    let events = ["invitation.sent", "invitation.failed"];
    let r = s
        .call(
            "POST",
            "/v1/webhooks",
            Some(&admin),
            Some(json!({"url": receiver.url, "events": events})),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    send_any_time(s).await;
    let writer = s.key(&["invitations:write"]).await;
    let sms = s.sms.as_ref().expect("a local server");
    let t0 = Utc::now() + Duration::minutes(1);

    let went = sms_invitation(s, &writer, "H-1", "+923001230001", 0).await;
    assert_eq!(s.send_due(t0).await.sent, 1);
    sms.answer(400);
    let refused = sms_invitation(s, &writer, "H-2", "+923001230002", 0).await;
    assert_eq!(s.send_due(t0).await.not_sent, 1);
    sms.answer(202);

    receiver
        .wait_until("an invitation.sent and an invitation.failed", |seen| {
            seen.len() >= 2
        })
        .await;
    // Anything more would have arrived by now with the two awaited.
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let seen = receiver.seen();
    assert_eq!(seen.len(), 2, "{seen:?}");
    let mut by_type: Vec<(String, Value)> = seen
        .iter()
        .map(|r| (r.header("feedback-event").to_owned(), r.json()))
        .collect();
    by_type.sort_by(|a, b| a.0.cmp(&b.0));
    let [(failed_type, failed), (sent_type, sent)] = &by_type[..] else {
        unreachable!()
    };
    assert_eq!(
        (failed_type.as_str(), sent_type.as_str()),
        ("invitation.failed", "invitation.sent")
    );
    assert_eq!(sent["data"]["invitation"]["code"], went.as_str());
    assert_eq!(sent["data"]["invitation"]["order_id"], "H-1");
    assert_eq!(sent["data"]["invitation"]["sending"]["status"], "sent");
    assert_eq!(failed["data"]["invitation"]["code"], refused.as_str());
    assert_eq!(failed["data"]["invitation"]["sending"]["status"], "failed");
    assert!(
        failed["data"]["invitation"]["sending"]["failure"]
            .as_str()
            .unwrap()
            .contains("400"),
        "{failed}"
    );
    for request in &seen {
        let body = String::from_utf8_lossy(&request.body);
        assert!(
            !body.contains("923001230"),
            "no number in a webhook: {body}"
        );
    }
}

/// The response rate counts the invitations that reached someone: one the
/// product was to send and could not is shown apart and left out, on the
/// business's figures and its channel's.
pub async fn the_response_rate_leaves_out_what_was_never_sent(s: &Server) {
    let admin = s.admin.clone();
    send_any_time(s).await;
    let writer = s.key(&["invitations:write"]).await;
    let sms = s.sms.as_ref().expect("a local server");
    let t0 = Utc::now() + Duration::minutes(1);

    let went = sms_invitation(s, &writer, "R-1", "+923001230011", 0).await;
    assert_eq!(s.send_due(t0).await.sent, 1);
    sms.answer(400);
    sms_invitation(s, &writer, "R-2", "+923001230012", 0).await;
    assert_eq!(s.send_due(t0).await.not_sent, 1);
    sms.answer(202);
    // Handed out by the business itself: it reached the customer.
    invite(s, &writer, json!({"order_id": "R-3", "channel": "sms"})).await;
    let r = s
        .call(
            "POST",
            &format!("/r/{went}"),
            None,
            Some(json!({"score": 5})),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);

    let r = s
        .get(&format!("/v1/scores?{}", crate::recent(s)), &admin)
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let summary = &r.body["summary"];
    let figures = |v: &Value| {
        (
            v["invitations"].as_i64(),
            v["sent"].as_i64(),
            v["not_sent"].as_i64(),
            v["answered"].as_i64(),
        )
    };
    assert_eq!(
        figures(summary),
        (Some(3), Some(1), Some(1), Some(1)),
        "{summary}"
    );
    assert_eq!(
        summary["response_rate"].as_f64(),
        Some(50.0),
        "1 of the 2 that reached someone"
    );
    let channel = &r.body["channels"][0];
    assert_eq!(channel["channel"], "sms", "{}", r.body);
    assert_eq!(figures(channel), (Some(3), Some(1), Some(1), Some(1)));
    assert_eq!(channel["response_rate"]["value"].as_f64(), Some(50.0));
}

/// The stack as deployed, sending by SES and SNS (moto's server stands in
/// for AWS): each message goes once however many sweeps run at once, in
/// its language, an e-mail with its one-click opt-out headers; a number
/// SNS holds as opted out (a STOP reply) goes on the tenant's list and is
/// never sent to. The send function's DynamoDB calls are held to its IAM
/// policy like every function's.
pub async fn the_send_function_sends_by_ses_and_sns(s: &Server) {
    let (moto, _) = s.aws.as_ref().expect("a stack that sends");
    let admin = s.admin.clone();
    send_any_time(s).await;
    put_reps(s, &admin, &[("ayesha", "Ayesha")]).await;
    let writer = s.key(&["invitations:write"]).await;
    // moto keeps every run's messages: these are this run's alone.
    let run = uuid::Uuid::new_v4().simple().to_string();
    let email = format!("zara.{}@example.pk", &run[..12]);
    let digits: String = run
        .chars()
        .filter(char::is_ascii_digit)
        .chain("1234567".chars())
        .take(7)
        .collect();
    let phone = format!("+92300{digits}");
    // moto's SNS holds every number ending in 99 as opted out.
    let stopped = format!("+92301{}99", &digits[..5]);

    let mailed = invite(
        s,
        &writer,
        json!({"order_id": "A-1", "channel": "email", "locale": "ur", "rep_id": "ayesha", "recipient": {"email": email}, "send_after_minutes": 0}),
    )
    .await;
    let mailed = mailed["code"].as_str().unwrap().to_owned();
    let texted = sms_invitation(s, &writer, "A-2", &phone, 0).await;
    let refused = sms_invitation(s, &writer, "A-3", &stopped, 0).await;

    let t0 = Utc::now() + Duration::minutes(1);
    let (a, b) = tokio::join!(s.send_due(t0), s.send_due(t0));
    assert_eq!(
        (a.sent + b.sent, a.cancelled + b.cancelled),
        (2, 1),
        "{a:?} {b:?}"
    );

    let mails = moto.emails_to(&email).await;
    assert_eq!(mails.len(), 1, "{mails:?}");
    assert_eq!(mails[0].source, "feedback@chai.example");
    let message = mail_parser::MessageParser::default()
        .parse(mails[0].raw.as_bytes())
        .expect("a message");
    assert_eq!(
        message.subject(),
        Some("Chai Corner میں آپ کا تجربہ کیسا رہا؟")
    );
    let token = s.store.secret().await.unwrap().unsubscribe_token(&mailed);
    assert_eq!(
        message.header_raw("List-Unsubscribe").map(str::trim),
        Some(format!("<{}/u/{token}>", s.base).as_str())
    );
    assert_eq!(
        message.header_raw("List-Unsubscribe-Post").map(str::trim),
        Some("List-Unsubscribe=One-Click")
    );
    let text = message.body_text(0).expect("a plain-text part");
    assert!(text.contains(&format!("{}/r/{mailed}", s.base)), "{text}");
    assert!(text.contains("Ayesha"), "{text}");

    let texts = moto.sms_to(&phone).await;
    assert_eq!(texts.len(), 1, "{texts:?}");
    assert!(
        texts[0].contains(&format!("{}/r/{texted}", s.base)),
        "{}",
        texts[0]
    );
    assert!(moto.sms_to(&stopped).await.is_empty());

    for code in [&mailed, &texted] {
        assert_eq!(sending_of(s, &writer, code).await["status"], "sent");
    }
    let dropped = sending_of(s, &writer, &refused).await;
    assert_eq!(
        (&dropped["status"], &dropped["cancelled"]),
        (&json!("suppressed"), &json!("opted_out")),
        "{dropped}"
    );
    let hash = s.store.secret().await.unwrap().suppression(&stopped);
    assert!(s.store.suppression(&hash).await.unwrap().is_some());
    let again = invite(
        s,
        &writer,
        json!({"order_id": "A-4", "channel": "sms", "recipient": {"phone": stopped}, "force": true}),
    )
    .await;
    assert_eq!(again["sending"]["status"], "suppressed", "{again}");
}

/// A customer's STOP, texted back to the SMS gateway and forwarded with
/// the gateway's token: the number goes on the tenant's list, what was
/// still due to it is cancelled when it comes due, and a later invitation
/// to it is suppressed from the start. Anything else texted back changes
/// nothing.
pub async fn a_stop_reply_stops_every_later_message(s: &Server) {
    send_any_time(s).await;
    let writer = s.key(&["invitations:write"]).await;
    let sms = s.sms.as_ref().expect("a local server");
    let phone = "+923001230044";
    let pending = sms_invitation(s, &writer, "T-1", phone, 30).await;
    let reply = |auth: Option<&'static str>, body: Value| async move {
        let bearer = auth.map(|t| format!("Bearer {t}"));
        let headers: Vec<(&str, &str)> = bearer
            .as_deref()
            .map(|b| vec![("authorization", b)])
            .unwrap_or_default();
        s.send_with(
            "POST",
            "/sms/replies",
            None,
            &headers,
            "application/json",
            body.to_string().into_bytes(),
        )
        .await
    };
    let stop = json!({"from": phone, "text": "Stop"});
    assert_eq!(reply(None, stop.clone()).await.status, 401);
    assert_eq!(
        reply(Some("replies-token-wrong-guess"), stop.clone())
            .await
            .status,
        401
    );
    let bad = reply(
        Some(SMS_REPLIES_TOKEN),
        json!({"from": "0300 1230044", "text": 5, "at": 1}),
    )
    .await;
    assert_eq!(
        (bad.status, bad.sorted_fields()),
        (
            400,
            vec!["at".to_owned(), "from".to_owned(), "text".to_owned()]
        ),
        "{}",
        bad.body
    );
    let chat = reply(
        Some(SMS_REPLIES_TOKEN),
        json!({"from": phone, "text": "thanks, don't stop"}),
    )
    .await;
    assert_eq!((chat.status, &chat.body["opted_out"]), (200, &json!(false)));
    let hash = s.store.secret().await.unwrap().suppression(phone);
    assert!(s.store.suppression(&hash).await.unwrap().is_none());

    let r = reply(Some(SMS_REPLIES_TOKEN), stop).await;
    assert_eq!(
        (r.status, &r.body["opted_out"]),
        (200, &json!(true)),
        "{}",
        r.body
    );
    assert!(s.store.suppression(&hash).await.unwrap().is_some());
    let swept = s.send_due(Utc::now() + Duration::hours(1)).await;
    assert_eq!((swept.sent, swept.cancelled), (0, 1), "{swept:?}");
    let dropped = sending_of(s, &writer, &pending).await;
    assert_eq!(
        (&dropped["status"], &dropped["cancelled"]),
        (&json!("suppressed"), &json!("opted_out")),
        "{dropped}"
    );
    let later = invite(
        s,
        &writer,
        json!({"order_id": "T-2", "channel": "sms", "recipient": {"phone": phone}, "force": true}),
    )
    .await;
    assert_eq!(later["sending"]["status"], "suppressed", "{later}");
    assert!(sms.received().is_empty());
}

/// How many e-mails went to `to`: SES's (moto's) for a stack that sends,
/// the SMTP receiver's otherwise.
async fn mails_to(s: &Server, to: &str) -> usize {
    match &s.aws {
        Some((moto, _)) => moto.emails_to(to).await.len(),
        None => {
            let mail = s.mail.as_ref().expect("a server that sends");
            (mail.received().iter())
                .filter(|m| m.to.iter().any(|t| t.eq_ignore_ascii_case(to)))
                .count()
        }
    }
}

/// SNS's delivery to the `send` function of SES's event records
/// `(eventType, its own part, invitation tag)`, each shaped as AWS
/// documents them (SES's event publishing to SNS, and SNS's event for
/// Lambda): AWS cannot be reached from here to report anything itself.
fn ses_reports(events: &[(&str, Value, &str)]) -> feedback_send::reports::SnsEvent {
    let topic = "arn:aws:sns:eu-west-1:123456789012:feedback-chai-MailReports";
    let records: Vec<Value> = events
        .iter()
        .map(|(kind, part, code)| {
            let mut ses = json!({
                "eventType": kind,
                "mail": {
                    "timestamp": "2026-06-01T06:00:00.000Z",
                    "source": "feedback@chai.example",
                    "sendingAccountId": "123456789012",
                    "messageId": uuid::Uuid::new_v4().to_string(),
                    "destination": ["someone@example.pk"],
                    "headersTruncated": false,
                    "tags": {
                        "ses:configuration-set": ["feedback-chai"],
                        "invitation": [code],
                    },
                },
            });
            ses[kind.to_lowercase()] = part.clone();
            json!({
                "EventSource": "aws:sns",
                "EventVersion": "1.0",
                "EventSubscriptionArn": format!("{topic}:2bcfbf39-05c3-41de-beaa-fcfcc21c8f55"),
                "Sns": {
                    "Type": "Notification",
                    "MessageId": uuid::Uuid::new_v4().to_string(),
                    "TopicArn": topic,
                    "Subject": null,
                    "Message": ses.to_string(),
                    "Timestamp": "2026-06-01T06:05:00.000Z",
                    "SignatureVersion": "1",
                    "Signature": "EXAMPLE",
                    "SigningCertUrl": "https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-0000.pem",
                    "UnsubscribeUrl": "https://sns.eu-west-1.amazonaws.com/?Action=Unsubscribe",
                    "MessageAttributes": {},
                },
            })
        })
        .collect();
    serde_json::from_value(json!({"Records": records})).expect("an SNS event")
}

/// What SES reports after taking an e-mail, delivered to the `send`
/// function through the stack's topic: a permanent bounce fails that
/// invitation, which then no longer counts as sent; a complaint cancels
/// the reminder as an opt-out would. Either way no later message goes to
/// the address, and a later invitation to it says why. A transient bounce
/// or a delivery changes nothing, and a report delivered twice is recorded
/// once.
pub async fn ses_reports_of_bounces_and_complaints_stop_those_addresses(s: &Server) {
    let admin = s.admin.clone();
    put_sending(s, json!({"quiet_hours": null, "reminder_days": 2})).await;
    let writer = s.key(&["invitations:write"]).await;
    // moto keeps every run's messages: these addresses are this run's.
    let run = &uuid::Uuid::new_v4().simple().to_string()[..12];
    let gone = format!("gone.{run}@example.pk");
    let annoyed = format!("annoyed.{run}@example.pk");
    let fine = format!("fine.{run}@example.pk");
    let mut codes = Vec::new();
    for (order, to) in [("B-1", &gone), ("B-2", &annoyed), ("B-3", &fine)] {
        let inv = invite(
            s,
            &writer,
            json!({"order_id": order, "channel": "email", "recipient": {"email": to}, "send_after_minutes": 0}),
        )
        .await;
        codes.push(inv["code"].as_str().unwrap().to_owned());
    }
    let t0 = Utc::now() + Duration::minutes(1);
    assert_eq!(s.send_due(t0).await.sent, 3);

    let reports = ses_reports(&[
        (
            "Bounce",
            json!({"bounceType": "Permanent", "bounceSubType": "General",
                "bouncedRecipients": [{"emailAddress": gone, "action": "failed", "status": "5.1.1",
                    "diagnosticCode": format!("smtp; 550 5.1.1 <{gone}>: user unknown")}],
                "timestamp": "2026-06-01T06:01:00.000Z"}),
            &codes[0],
        ),
        (
            "Complaint",
            json!({"complainedRecipients": [{"emailAddress": annoyed}],
                "complaintFeedbackType": "abuse", "timestamp": "2026-06-01T07:00:00.000Z"}),
            &codes[1],
        ),
        (
            "Bounce",
            json!({"bounceType": "Transient", "bounceSubType": "MailboxFull",
                "bouncedRecipients": [{"emailAddress": fine}]}),
            &codes[2],
        ),
        (
            "Delivery",
            json!({"recipients": [fine], "smtpResponse": "250 ok"}),
            &codes[2],
        ),
    ]);
    let done = s.record_reports(&reports).await;
    assert_eq!((done.recorded, done.ignored), (2, 2), "{done:?}");

    let bounced = sending_of(s, &writer, &codes[0]).await;
    assert_eq!(
        (&bounced["status"], &bounced["failure"], &bounced["due_at"]),
        (
            &json!("failed"),
            &json!("the address bounced (SES: Permanent General)"),
            &Value::Null
        ),
        "{bounced}"
    );
    assert!(bounced["bounced_at"].is_string(), "{bounced}");
    assert!(!bounced.to_string().contains("gone."), "{bounced}");
    let complained = sending_of(s, &writer, &codes[1]).await;
    assert_eq!(
        (
            &complained["status"],
            &complained["cancelled"],
            &complained["due_at"]
        ),
        (&json!("sent"), &json!("opted_out"), &Value::Null),
        "{complained}"
    );
    let kept = sending_of(s, &writer, &codes[2]).await;
    assert_eq!(kept["status"], "sent", "{kept}");
    assert!(
        kept["due_at"].is_string(),
        "its reminder is still due: {kept}"
    );

    // Delivered again (SNS delivers at least once): nothing changes.
    assert_eq!(s.record_reports(&reports).await, done);
    assert_eq!(sending_of(s, &writer, &codes[0]).await, bounced);
    assert_eq!(sending_of(s, &writer, &codes[1]).await, complained);

    // When the reminders are due, only the address that works gets one.
    let t2 = t0 + Duration::days(2) + Duration::minutes(1);
    assert_eq!(s.send_due(t2).await.sent, 1);
    assert_eq!(
        (
            mails_to(s, &gone).await,
            mails_to(s, &annoyed).await,
            mails_to(s, &fine).await
        ),
        (1, 1, 2)
    );
    // Later invitations to either address are suppressed from the start,
    // and say why.
    for (order, to, why) in [("B-4", &gone, "bounced"), ("B-5", &annoyed, "opted_out")] {
        let again = invite(
            s,
            &writer,
            json!({"order_id": order, "channel": "email", "recipient": {"email": to}, "force": true}),
        )
        .await;
        assert_eq!(again["sending"]["status"], "suppressed", "{again}");
        assert_eq!(again["sending"]["cancelled"], why, "{again}");
    }
    // The bounced invitation reached no one: the response rate leaves it
    // out with the two suppressed.
    let r = s
        .get(&format!("/v1/scores?{}", crate::recent(s)), &admin)
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let summary = &r.body["summary"];
    assert_eq!(
        (
            summary["invitations"].as_i64(),
            summary["sent"].as_i64(),
            summary["not_sent"].as_i64()
        ),
        (Some(5), Some(2), Some(3)),
        "{summary}"
    );
}
