//! The business dashboard, rendered on the server from the same reports the
//! API answers with: headline figures with their intervals and change,
//! trend charts, the leaderboard, response rate per channel, drivers, the
//! follow-up queue and the latest comments. Filters are plain links and a
//! GET form, so it works without JavaScript.

use super::chart::{self, Point};
use super::i18n::{DashboardStrings, fill_html, fill_names_html, languages, strings};
use super::{dashboard_page, esc};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{DateTime, Utc};
use feedback_app::reports::{Drivers, Leaderboard, Scores};
use feedback_core::drivers::Verdict;
use feedback_core::metrics::{Change, Summary};
use feedback_core::model;
use feedback_core::survey::Question;
use feedback_core::time::{DateRange, Granularity};
use feedback_core::{Channel, FollowUp, Rep, Slice, SurveyKind};
use std::fmt::Write;

/// What the filters ask for: the page's own query string.
#[derive(Debug, Clone)]
pub struct Filters {
    pub lang: &'static str,
    pub range: DateRange,
    pub granularity: Granularity,
    pub slice: Slice,
}

impl Filters {
    /// The query string of these filters with `change` applied.
    pub fn href(&self, change: impl FnOnce(&mut Filters)) -> String {
        let mut f = self.clone();
        change(&mut f);
        let (from, to) = (f.range.from.to_string(), f.range.to.to_string());
        let mut pairs = vec![
            ("lang", f.lang.to_owned()),
            ("from", from),
            ("to", to),
            ("granularity", f.granularity.as_str().to_owned()),
        ];
        match &f.slice {
            Slice::All => {}
            Slice::Rep(id) => pairs.push(("rep_id", id.to_string())),
            Slice::Channel(c) => pairs.push(("channel", c.as_str().to_owned())),
            Slice::Location(l) => pairs.push(("location", l.to_string())),
        }
        format!(
            "/dashboard?{}",
            serde_urlencoded::to_string(pairs).unwrap_or_default()
        )
    }
}

/// Everything one dashboard page shows.
pub struct View<'a> {
    pub filters: &'a Filters,
    pub business: &'a str,
    pub key_id: &'a str,
    pub today: chrono::NaiveDate,
    pub reps: &'a [Rep],
    pub scores: &'a Scores,
    pub board: &'a Leaderboard,
    pub drivers: &'a Drivers,
    /// The period's follow-ups awaiting first contact, the longest waiting
    /// first (the first few).
    pub waiting: &'a [FollowUp],
    /// `None`: the key may not read comments.
    pub comments: Option<&'a [model::Response]>,
}

fn fmt(v: f64) -> String {
    format!("{v:.1}")
}

/// With its sign; what rounds to zero shows none ("-0.0" reads as a fall).
fn signed(v: f64) -> String {
    if v.abs() < 0.05 {
        "0.0".into()
    } else {
        format!("{v:+.1}")
    }
}

fn survey_name(kind: SurveyKind) -> &'static str {
    match kind {
        SurveyKind::Csat => "CSAT",
        SurveyKind::Nps => "NPS",
        SurveyKind::Ces => "CES",
    }
}

fn question_name(d: &DashboardStrings, q: Question) -> &str {
    match q {
        Question::Friendliness => &d.q_friendliness,
        Question::Speed => &d.q_speed,
        Question::Knowledge => &d.q_knowledge,
        Question::Resolved => &d.q_resolved,
        Question::Expectations => &d.q_expectations,
    }
}

/// How a change reads, and the class that colours it: "up", "down", or
/// "steady" (within chance).
fn direction(c: &Change) -> &'static str {
    match (c.significant, c.delta > 0.0) {
        (true, true) => "up",
        (true, false) => "down",
        (false, _) => "steady",
    }
}

fn change_html(d: &DashboardStrings, change: Option<&Change>) -> String {
    let Some(c) = change else {
        return String::new();
    };
    let delta = signed(c.delta);
    let class = direction(c);
    let template = match class {
        "up" => &d.up,
        "down" => &d.down,
        _ => &d.steady,
    };
    format!(
        "<p class=\"change {class}\">{}</p>",
        fill_html(template, &[("delta", &delta)])
    )
}

/// One headline card: the figure, its hint, interval and change.
struct Card<'a> {
    name: &'a str,
    hint: &'a str,
    value: Option<(f64, f64, f64, i64)>,
    extra: Option<String>,
    change: Option<&'a Change>,
}

fn card(out: &mut String, d: &DashboardStrings, c: Card<'_>) {
    let _ = write!(
        out,
        "<section class=\"card\"><h3>{} <small>{}</small></h3>",
        esc(c.name),
        esc(c.hint)
    );
    match c.value {
        Some((value, low, high, n)) => {
            let _ = write!(
                out,
                "<p class=\"big\" data-figure=\"{name}\">{value}</p><p class=\"muted\">{interval} · {count}</p>",
                name = esc(&c.name.to_lowercase()),
                value = fmt(value),
                interval = fill_html(&d.interval, &[("low", &fmt(low)), ("high", &fmt(high))]),
                count = fill_html(&d.responses, &[("n", &n.to_string())]),
            );
            if let Some(extra) = c.extra {
                let _ = write!(out, "<p class=\"muted\">{extra}</p>");
            }
            out.push_str(&change_html(d, c.change));
        }
        None => {
            let _ = write!(out, "<p class=\"muted\">{}</p>", esc(&d.no_data));
        }
    }
    out.push_str("</section>");
}

fn headline_cards(out: &mut String, d: &DashboardStrings, scores: &Scores) {
    let s = &scores.summary;
    let changes = scores.compare.as_ref().map(|c| &c.2);
    out.push_str("<div class=\"cards\">");
    card(
        out,
        d,
        Card {
            name: &d.csat,
            hint: &d.csat_hint,
            value: s.csat.as_ref().map(|c| (c.percent, c.low, c.high, c.count)),
            extra: s
                .csat
                .as_ref()
                .map(|c| fill_html(&d.top_box, &[("value", &format!("{}%", fmt(c.top_box)))])),
            change: changes.and_then(|c| c.csat_percent.as_ref()),
        },
    );
    card(
        out,
        d,
        Card {
            name: &d.nps,
            hint: &d.nps_hint,
            value: s.nps.as_ref().map(|n| (n.score, n.low, n.high, n.count)),
            extra: None,
            change: changes.and_then(|c| c.nps.as_ref()),
        },
    );
    card(
        out,
        d,
        Card {
            name: &d.ces,
            hint: &d.ces_hint,
            value: s.ces.as_ref().map(|e| (e.mean, e.low, e.high, e.count)),
            extra: None,
            change: changes.and_then(|c| c.ces.as_ref()),
        },
    );
    out.push_str("</div>");
    if s.flagged > 0 {
        let _ = write!(
            out,
            "<p class=\"muted\">{}</p>",
            fill_html(&d.flagged, &[("n", &s.flagged.to_string())])
        );
    }
}

fn trends(out: &mut String, d: &DashboardStrings, v: &View<'_>) {
    let granularity = match v.filters.granularity {
        Granularity::Day => &d.day,
        Granularity::Week => &d.week,
        Granularity::Month => &d.month,
        Granularity::Year => &d.year,
    };
    type Pick = fn(&Summary) -> Option<(f64, f64, f64)>;
    let metrics: [(&str, Pick, (f64, f64)); 3] = [
        (
            &d.csat,
            |s| s.csat.as_ref().map(|c| (c.percent, c.low, c.high)),
            (0.0, 100.0),
        ),
        (
            &d.nps,
            |s| s.nps.as_ref().map(|n| (n.score, n.low, n.high)),
            (-100.0, 100.0),
        ),
        (
            &d.ces,
            |s| s.ces.as_ref().map(|e| (e.mean, e.low, e.high)),
            (1.0, 7.0),
        ),
    ];
    let _ = write!(
        out,
        "<section><h2>{}</h2><div class=\"charts\">",
        esc(&d.trends)
    );
    for (name, pick, scale) in metrics {
        let points: Vec<Point> = v
            .scores
            .series
            .iter()
            .map(|(range, summary)| Point {
                label: range.from.to_string(),
                value: pick(summary),
            })
            .collect();
        let label = d
            .chart_label
            .replace("{metric}", name)
            .replace("{granularity}", granularity);
        let _ = write!(
            out,
            "<figure><figcaption>{}</figcaption>{}</figure>",
            esc(name),
            chart::line(&label, &points, scale)
        );
    }
    out.push_str("</div></section>");
}

fn leaderboard(out: &mut String, d: &DashboardStrings, board: &Leaderboard) {
    let survey = survey_name(board.kind);
    let _ = write!(
        out,
        "<section><h2>{}</h2>",
        fill_html(&d.leaderboard, &[("survey", survey)])
    );
    if board.standings.is_empty() {
        let _ = write!(out, "<p class=\"muted\">{}</p></section>", esc(&d.no_reps));
        return;
    }
    let _ = write!(
        out,
        "<div class=\"scroll\"><table id=\"leaderboard\"><thead><tr><th scope=\"col\">{}</th><th scope=\"col\">{}</th>\
         <th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\">{}</th></tr></thead><tbody>",
        esc(&d.rank),
        esc(&d.rep),
        esc(&d.count),
        esc(&d.score),
        esc(&d.trend)
    );
    for s in &board.standings {
        let count = s.rollup.stats(board.kind).count;
        let rank = match s.rank {
            Some(r) => r.to_string(),
            None if count < board.min_count => {
                format!("<span class=\"muted\">{}</span>", esc(&d.not_ranked_few))
            }
            None => format!("<span class=\"muted\">{}</span>", esc(&d.not_ranked_wide)),
        };
        let score = s
            .estimate
            .map(|e| {
                format!(
                    "{} <small class=\"muted\">({}–{})</small>",
                    fmt(e.value),
                    fmt(e.low),
                    fmt(e.high)
                )
            })
            .unwrap_or_default();
        let trend = s
            .trend
            .map(|t| {
                let class = match (t.significant, t.delta > 0.0) {
                    (true, true) => "up",
                    (true, false) => "down",
                    _ => "steady",
                };
                format!(
                    "<bdi class=\"{class}\" dir=\"ltr\">{}</bdi>",
                    signed(t.delta)
                )
            })
            .unwrap_or_default();
        let _ = write!(
            out,
            "<tr><td>{rank}</td><th scope=\"row\">{}</th><td>{count}</td><td>{score}</td><td>{trend}</td></tr>",
            esc(&s.rep.display_name)
        );
    }
    out.push_str("</tbody></table></div></section>");
}

fn channels(out: &mut String, d: &DashboardStrings, scores: &Scores) {
    let Some(channels) = &scores.channels else {
        return;
    };
    let _ = write!(
        out,
        "<section><h2>{}</h2><div class=\"scroll\"><table id=\"channels\"><thead><tr><th scope=\"col\">{}</th>\
         <th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\">{}</th></tr></thead><tbody>",
        esc(&d.response_rate),
        esc(&d.channel),
        esc(&d.invitations),
        esc(&d.not_sent),
        esc(&d.answered),
        esc(&d.rate)
    );
    for c in channels {
        let rate = c
            .rate
            .map(|r| {
                format!(
                    "<meter min=\"0\" max=\"100\" value=\"{v:.1}\" aria-label=\"{name}\">{v:.1}%</meter> {v:.1}% \
                     <small class=\"muted\">({}–{})</small>",
                    fmt(r.low),
                    fmt(r.high),
                    v = r.value,
                    name = esc(c.channel.as_str())
                )
            })
            .unwrap_or_default();
        let _ = write!(
            out,
            "<tr><th scope=\"row\">{}</th><td>{}</td><td>{}</td><td>{}</td><td>{rate}</td></tr>",
            esc(c.channel.as_str()),
            c.counts.invitations,
            c.counts.unsent,
            c.counts.answered
        );
    }
    out.push_str("</tbody></table></div></section>");
}

fn drivers(out: &mut String, d: &DashboardStrings, report: &Drivers) {
    let _ = write!(
        out,
        "<section><h2>{}</h2><div class=\"scroll\"><table id=\"drivers\"><thead><tr><th scope=\"col\">{}</th>\
         <th scope=\"col\">{}</th></tr></thead><tbody>",
        fill_html(&d.drivers, &[("survey", survey_name(report.kind))]),
        esc(&d.question),
        esc(&d.correlation)
    );
    for driver in &report.drivers {
        let figure = match (driver.verdict, driver.correlation) {
            (Verdict::Measured, Some(r)) => format!(
                "<meter min=\"0\" max=\"1\" value=\"{a:.2}\" aria-label=\"{q}\">{r:.2}</meter> <bdi dir=\"ltr\">{r:+.2} \
                 <small class=\"muted\">({:+.2}–{:+.2}, n={})</small></bdi>",
                driver.low.unwrap_or(r),
                driver.high.unwrap_or(r),
                driver.count,
                a = r.abs(),
                q = esc(question_name(d, driver.question)),
            ),
            (Verdict::NoVariation, _) => {
                format!("<span class=\"muted\">{}</span>", esc(&d.no_variation))
            }
            _ => format!(
                "<span class=\"muted\">{}</span>",
                fill_html(&d.not_enough_data, &[("n", &driver.count.to_string())])
            ),
        };
        let _ = write!(
            out,
            "<tr><th scope=\"row\">{}</th><td>{figure}</td></tr>",
            esc(question_name(d, driver.question))
        );
    }
    out.push_str("</tbody></table></div></section>");
}

fn age(d: &DashboardStrings, since: DateTime<Utc>, at: DateTime<Utc>) -> String {
    let hours = (at - since).num_hours().max(0);
    if hours < 48 {
        d.hours.replace("{n}", &hours.to_string())
    } else {
        d.days.replace("{n}", &(hours / 24).to_string())
    }
}

/// The names of the reps `a` credits (HTML), listed in the page's language.
fn rep_names(v: &View<'_>, a: &model::Attribution) -> String {
    let names: Vec<&str> = a
        .reps()
        .filter_map(|id| v.reps.iter().find(|r| &r.id == id))
        .map(|r| r.display_name.as_str())
        .collect();
    fill_names_html(strings(v.filters.lang), "{reps}", "reps", &names)
}

fn follow_ups(out: &mut String, d: &DashboardStrings, v: &View<'_>) {
    let queue = v.waiting;
    let (waiting, overdue) = v
        .scores
        .summary
        .follow_up
        .as_ref()
        .map_or((0, 0), |f| (f.waiting + f.overdue_now, f.overdue_now));
    let _ = write!(
        out,
        "<section><h2>{}</h2><p id=\"waiting\">{}</p>",
        esc(&d.follow_ups),
        fill_html(
            &d.waiting_summary,
            &[
                ("waiting", &waiting.to_string()),
                ("overdue", &overdue.to_string())
            ]
        )
    );
    if queue.is_empty() {
        let _ = write!(
            out,
            "<p class=\"muted\">{}</p></section>",
            esc(&d.none_waiting)
        );
        return;
    }
    let _ = write!(
        out,
        "<div class=\"scroll\"><table id=\"follow-ups\"><thead><tr><th scope=\"col\">{}</th><th scope=\"col\">{}</th>\
         <th scope=\"col\">{}</th><th scope=\"col\">{}</th></tr></thead><tbody>",
        esc(&d.age),
        esc(&d.score),
        esc(&d.rep),
        esc(&d.channel)
    );
    // Oldest first: the longest wait is the one to call back first.
    for f in queue {
        let late = if f.is_overdue(v.scores.at) {
            format!(" <span class=\"down\">{}</span>", esc(&d.overdue))
        } else {
            String::new()
        };
        let _ = write!(
            out,
            "<tr><td>{}{late}</td><td>{} {}</td><td>{}</td><td>{}</td></tr>",
            esc(&age(d, f.opened_at, v.scores.at)),
            survey_name(f.attribution.survey),
            f.score,
            rep_names(v, &f.attribution),
            esc(f.attribution.channel.as_str())
        );
    }
    out.push_str("</tbody></table></div></section>");
}

fn comments(out: &mut String, d: &DashboardStrings, v: &View<'_>) {
    let _ = write!(out, "<section><h2>{}</h2>", esc(&d.comments));
    match v.comments {
        None => {
            let _ = write!(out, "<p class=\"muted\">{}</p>", esc(&d.comments_scope));
        }
        Some([]) => {
            let _ = write!(out, "<p class=\"muted\">{}</p>", esc(&d.no_comments));
        }
        Some(list) => {
            out.push_str("<ul class=\"comments\" id=\"comments\">");
            for r in list {
                let kind = r.attribution.survey;
                let lang = r.locale.as_ref().map(|l| l.as_str()).unwrap_or("");
                let _ = write!(
                    out,
                    "<li class=\"{band}\"><p lang=\"{lang}\" dir=\"auto\">{text}</p><p class=\"muted\">{survey} {score} · {rep} · {channel} · {day}</p></li>",
                    band = kind.band(r.score).as_str(),
                    lang = esc(lang),
                    text = esc(r.comment.as_deref().unwrap_or("")),
                    survey = survey_name(kind),
                    score = r.score,
                    rep = rep_names(v, &r.attribution),
                    channel = esc(r.attribution.channel.as_str()),
                    day = r.day,
                );
            }
            out.push_str("</ul>");
        }
    }
    out.push_str("</section>");
}

fn filter_form(out: &mut String, d: &DashboardStrings, v: &View<'_>) {
    let f = v.filters;
    let _ = write!(
        out,
        "<nav aria-label=\"{}\" class=\"quick\">",
        esc(&d.quick_ranges)
    );
    for days in [7, 30, 90, 365] {
        let from = v.today - chrono::Days::new(days - 1);
        let href = f.href(|f| {
            f.range = DateRange { from, to: v.today };
        });
        let _ = write!(
            out,
            "<a href=\"{}\">{}</a>",
            esc(&href),
            fill_html(&d.last_days, &[("n", &days.to_string())])
        );
    }
    out.push_str("</nav>");
    let _ = write!(
        out,
        "<form method=\"get\" action=\"/dashboard\" class=\"filters\"><fieldset><legend>{legend}</legend>\
         <input type=\"hidden\" name=\"lang\" value=\"{lang}\">\
         <label>{from_l}<input type=\"date\" name=\"from\" value=\"{from}\" required></label>\
         <label>{to_l}<input type=\"date\" name=\"to\" value=\"{to}\" required></label>\
         <label>{g_l}<select name=\"granularity\">",
        legend = esc(&d.filters),
        lang = esc(f.lang),
        from_l = esc(&d.from),
        to_l = esc(&d.to),
        from = f.range.from,
        to = f.range.to,
        g_l = esc(&d.granularity),
    );
    for (g, name) in [
        (Granularity::Day, &d.day),
        (Granularity::Week, &d.week),
        (Granularity::Month, &d.month),
        (Granularity::Year, &d.year),
    ] {
        let selected = if g == f.granularity { " selected" } else { "" };
        let _ = write!(
            out,
            "<option value=\"{}\"{selected}>{}</option>",
            g.as_str(),
            esc(name)
        );
    }
    let _ = write!(
        out,
        "</select></label><label>{}<select name=\"rep_id\"><option value=\"\">{}</option>",
        esc(&d.rep),
        esc(&d.everyone)
    );
    for rep in v.reps {
        let selected = if f.slice == Slice::Rep(rep.id.clone()) {
            " selected"
        } else {
            ""
        };
        let _ = write!(
            out,
            "<option value=\"{}\"{selected}>{}</option>",
            esc(rep.id.as_str()),
            esc(&rep.display_name)
        );
    }
    let _ = write!(
        out,
        "</select></label><label>{}<select name=\"channel\"><option value=\"\">{}</option>",
        esc(&d.channel),
        esc(&d.every_channel)
    );
    for c in Channel::ALL {
        let selected = if f.slice == Slice::Channel(c) {
            " selected"
        } else {
            ""
        };
        let _ = write!(
            out,
            "<option value=\"{c}\"{selected}>{c}</option>",
            c = c.as_str()
        );
    }
    let location = match &f.slice {
        Slice::Location(l) => l.to_string(),
        _ => String::new(),
    };
    let _ = write!(
        out,
        "</select></label><label>{}<input name=\"location\" value=\"{}\"></label>\
         <button type=\"submit\">{}</button></fieldset></form>",
        esc(&d.location),
        esc(&location),
        esc(&d.apply)
    );
}

fn header(out: &mut String, d: &DashboardStrings, v: &View<'_>) {
    let f = v.filters;
    let _ = write!(
        out,
        "<header class=\"top\"><div><p class=\"biz\">{biz}</p><h1>{title}</h1>\
         <p class=\"muted\" id=\"period\">{period}</p></div>\
         <div class=\"who\"><nav aria-label=\"{lang_l}\" class=\"langs\">",
        biz = esc(v.business),
        title = esc(&d.title),
        period = fill_html(
            &d.period,
            &[
                ("from", &f.range.from.to_string()),
                ("to", &f.range.to.to_string())
            ]
        ),
        lang_l = esc(&d.language),
    );
    for lang in languages() {
        let href = f.href(|f| f.lang = lang);
        let current = if lang == f.lang {
            " aria-current=\"page\""
        } else {
            ""
        };
        let _ = write!(
            out,
            "<a href=\"{}\" lang=\"{lang}\" hreflang=\"{lang}\"{current}>{}</a>",
            esc(&href),
            esc(&strings(lang).language_name)
        );
    }
    let _ = write!(
        out,
        "</nav><form method=\"post\" action=\"/dashboard/sign-out\"><p class=\"muted\">{who}</p>\
         <input type=\"hidden\" name=\"lang\" value=\"{lang}\"><button type=\"submit\" class=\"small\">{out_l}</button></form></div></header>",
        who = fill_html(&d.signed_in_as, &[("key", v.key_id)]),
        lang = esc(f.lang),
        out_l = esc(&d.sign_out),
    );
}

/// The dashboard.
pub fn render(v: &View<'_>) -> Response {
    let d = &strings(v.filters.lang).dashboard;
    let mut b = String::new();
    header(&mut b, d, v);
    filter_form(&mut b, d, v);
    headline_cards(&mut b, d, v.scores);
    trends(&mut b, d, v);
    b.push_str("<div class=\"columns\">");
    leaderboard(&mut b, d, v.board);
    channels(&mut b, d, v.scores);
    drivers(&mut b, d, v.drivers);
    follow_ups(&mut b, d, v);
    b.push_str("</div>");
    comments(&mut b, d, v);
    dashboard_page(StatusCode::OK, v.filters.lang, &d.title, &b)
}

/// The sign-in form; `failed` after a refused key.
pub fn sign_in(lang: &str, failed: bool) -> Response {
    let d = &strings(lang).dashboard;
    let mut b = format!(
        "<h1>{}</h1><p>{}</p>",
        esc(&d.sign_in_title),
        esc(&d.sign_in_intro)
    );
    if failed {
        let _ = write!(
            b,
            "<p class=\"error\" role=\"alert\">{}</p>",
            esc(&d.sign_in_failed)
        );
    }
    let _ = write!(
        b,
        "<form method=\"post\" action=\"/dashboard/sign-in\"><input type=\"hidden\" name=\"lang\" value=\"{lang}\">\
         <label class=\"block\" for=\"key\">{label}</label>\
         <input id=\"key\" name=\"key\" type=\"password\" autocomplete=\"current-password\" required \
         spellcheck=\"false\"{invalid}><button type=\"submit\">{submit}</button></form>",
        lang = esc(lang),
        label = esc(&d.key_label),
        invalid = if failed { " aria-invalid=\"true\"" } else { "" },
        submit = esc(&d.sign_in),
    );
    let status = if failed {
        StatusCode::UNAUTHORIZED
    } else {
        StatusCode::OK
    };
    dashboard_page(status, lang, &d.sign_in_title, &b)
}
