//! Rollups: the sums that every score is computed from.
//!
//! A rollup is kept per (slice, day). It merges associatively and
//! commutatively (it is a vector of integer sums), so a week, a month or a
//! year is the merge of its days, and an edit is a signed delta. Stores keep
//! it as named integer counters (one DynamoDB `ADD` or SQLite upsert each);
//! the names below are the storage format, so never rename one.
//!
//! | counter            | meaning                                              |
//! |--------------------|------------------------------------------------------|
//! | `inv`              | invitations created that day                         |
//! | `ans`              | of those, how many have been answered (by invite day) |
//! | `snt`              | of those, how many the product sent (the first message went) |
//! | `uns`              | of those, how many it was to send and never will (refused, opted out, cancelled unanswered): the response rate leaves them out |
//! | `flg`              | responses flagged and held back from every other counter |
//! | `{k}_n`            | responses of kind k (`c` CSAT, `n` NPS, `e` CES)     |
//! | `{k}_s`, `{k}_q`   | sum of scores, sum of squared scores                 |
//! | `{k}_h{score}`     | histogram: responses with that score                 |
//! | `f_o`, `f_c`, `f_r`  | follow-ups opened, contacted, resolved (by the response's day) |
//! | `f_cw`             | of those contacted, how many within their SLA         |
//! | `f_ct{b}`, `f_rt{b}` | histograms of time to first contact and to resolution ([`crate::followup::TIME_EDGES_MINUTES`]) |
//! | `{k}_{q}_{m}`      | optional question q (`fr` friendliness, `sp` speed, `kn` knowledge, `rs` resolved, `ex` expectations), moment m over the answers x and the main score y: `n`, `x`, `xx`, `y`, `yy`, `xy` |
//! | `ch{i}i`, `ch{i}a`, `ch{i}r`, `ch{i}s`, `ch{i}u` | on the `all` row only: the invitations, answered invitations, responses, sent and never-sent invitations of channel i (its place in [`Channel::ALL`], never reordered) |
//!
//! The `all` row keeps each channel's share so that the response rate per
//! channel is read with the business's own figures rather than from every
//! channel's partition; its names are short because a year of scores reads
//! 365 such rows and pays for every byte. Rows written before it did lack
//! that share (or keep it under the longer names `ch_{channel}_inv`, which
//! are no longer read); their channel counters then fall short of the row's
//! totals ([`Rollup::channels_complete`]), and readers take those days from
//! the channel slices instead.
//!
//! Only the drivers read the optional questions' moments, which are most
//! of a busy day's row: [`Rollup::apart`] splits them off, so that a store
//! may keep them in a row of their own.

use crate::followup::{FollowUp, FollowUpStats};
use crate::model::{Answers, Channel, Invitation, Response};
use crate::slice::Slice;
use crate::survey::SurveyKind;
use chrono::NaiveDate;
use std::collections::BTreeMap;

/// Sums over pairs (x, y): an optional answer x and the main score y. They
/// give count, means, variances and the correlation of x with y.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Moments {
    pub n: i64,
    pub x: i64,
    pub xx: i64,
    pub y: i64,
    pub yy: i64,
    pub xy: i64,
}

const MOMENT_NAMES: [&str; 6] = ["n", "x", "xx", "y", "yy", "xy"];

impl Moments {
    /// One pair's contribution.
    pub fn observe(x: i64, y: i64) -> Self {
        Moments {
            n: 1,
            x,
            xx: x * x,
            y,
            yy: y * y,
            xy: x * y,
        }
    }

    fn slots(&mut self) -> [&mut i64; 6] {
        [
            &mut self.n,
            &mut self.x,
            &mut self.xx,
            &mut self.y,
            &mut self.yy,
            &mut self.xy,
        ]
    }

    fn values(&self) -> [i64; 6] {
        [self.n, self.x, self.xx, self.y, self.yy, self.xy]
    }

    pub fn add(&mut self, other: &Moments, sign: i64) {
        for (slot, v) in self.slots().into_iter().zip(other.values()) {
            *slot += sign * v;
        }
    }
}

/// The optional questions' moments, each against the main score.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Questions {
    pub friendliness: Moments,
    pub speed: Moments,
    pub knowledge: Moments,
    /// x = 1 for resolved, 0 for not.
    pub resolved: Moments,
    /// x = 0 below, 1 met, 2 exceeded.
    pub expectations: Moments,
}

const QUESTION_NAMES: [&str; 5] = ["fr", "sp", "kn", "rs", "ex"];

impl Questions {
    /// The moments of question `q`.
    pub fn get(&self, q: crate::survey::Question) -> &Moments {
        use crate::survey::Question::*;
        match q {
            Friendliness => &self.friendliness,
            Speed => &self.speed,
            Knowledge => &self.knowledge,
            Resolved => &self.resolved,
            Expectations => &self.expectations,
        }
    }

    fn all(&self) -> [&Moments; 5] {
        [
            &self.friendliness,
            &self.speed,
            &self.knowledge,
            &self.resolved,
            &self.expectations,
        ]
    }

    fn all_mut(&mut self) -> [&mut Moments; 5] {
        [
            &mut self.friendliness,
            &mut self.speed,
            &mut self.knowledge,
            &mut self.resolved,
            &mut self.expectations,
        ]
    }

    fn of(answers: &Answers, score: i64) -> Self {
        let m = |x: Option<i64>| x.map(|x| Moments::observe(x, score)).unwrap_or_default();
        Questions {
            friendliness: m(answers.friendliness.map(i64::from)),
            speed: m(answers.speed.map(i64::from)),
            knowledge: m(answers.knowledge.map(i64::from)),
            resolved: m(answers.resolved.map(i64::from)),
            expectations: m(answers.expectations.map(|e| e.ordinal())),
        }
    }
}

/// Sums of one survey kind's scores.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ScoreStats {
    pub count: i64,
    pub sum: i64,
    pub sum_sq: i64,
    /// `hist[s]` responses gave score `s` (0..=10; unused cells stay 0).
    pub hist: [i64; 11],
    pub questions: Questions,
}

impl ScoreStats {
    fn add(&mut self, other: &ScoreStats, sign: i64) {
        self.count += sign * other.count;
        self.sum += sign * other.sum;
        self.sum_sq += sign * other.sum_sq;
        for (h, o) in self.hist.iter_mut().zip(other.hist) {
            *h += sign * o;
        }
        for (q, o) in self
            .questions
            .all_mut()
            .into_iter()
            .zip(other.questions.all())
        {
            q.add(o, sign);
        }
    }

    /// Responses whose score lies in `range`.
    pub fn count_in(&self, range: std::ops::RangeInclusive<usize>) -> i64 {
        self.hist[range].iter().sum()
    }
}

/// One channel's share of the whole business's counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ChannelCounts {
    pub invitations: i64,
    pub answered: i64,
    pub responses: i64,
    pub sent: i64,
    pub unsent: i64,
}

/// The suffixes of a channel's share, after `ch{index}`.
const CHANNEL_COUNTER_SUFFIXES: [char; 5] = ['i', 'a', 'r', 's', 'u'];

impl ChannelCounts {
    /// A rollup's invitations (answered, sent, never sent) and responses.
    pub fn of(delta: &Rollup) -> Self {
        ChannelCounts {
            invitations: delta.invitations,
            answered: delta.answered,
            responses: delta.responses(),
            sent: delta.sent,
            unsent: delta.unsent,
        }
    }

    pub fn add(&mut self, other: &ChannelCounts, sign: i64) {
        for (slot, value) in self.slots().into_iter().zip(other.values()) {
            *slot += sign * value;
        }
    }

    fn slots(&mut self) -> [&mut i64; 5] {
        [
            &mut self.invitations,
            &mut self.answered,
            &mut self.responses,
            &mut self.sent,
            &mut self.unsent,
        ]
    }

    fn values(&self) -> [i64; 5] {
        [
            self.invitations,
            self.answered,
            self.responses,
            self.sent,
            self.unsent,
        ]
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Rollup {
    pub invitations: i64,
    pub answered: i64,
    /// Invitations the product sent, and those it never will.
    pub sent: i64,
    pub unsent: i64,
    /// Responses held back for review: counted here and nowhere else.
    pub flagged: i64,
    pub csat: ScoreStats,
    pub nps: ScoreStats,
    pub ces: ScoreStats,
    pub follow_up: FollowUpStats,
    /// Each channel's share, in [`Channel::ALL`] order: kept on the `all`
    /// slice only (zero elsewhere).
    pub channels: [ChannelCounts; Channel::ALL.len()],
}

fn kind_prefix(kind: SurveyKind) -> &'static str {
    match kind {
        SurveyKind::Csat => "c",
        SurveyKind::Nps => "n",
        SurveyKind::Ces => "e",
    }
}

impl Rollup {
    pub fn stats(&self, kind: SurveyKind) -> &ScoreStats {
        match kind {
            SurveyKind::Csat => &self.csat,
            SurveyKind::Nps => &self.nps,
            SurveyKind::Ces => &self.ces,
        }
    }

    fn stats_mut(&mut self, kind: SurveyKind) -> &mut ScoreStats {
        match kind {
            SurveyKind::Csat => &mut self.csat,
            SurveyKind::Nps => &mut self.nps,
            SurveyKind::Ces => &mut self.ces,
        }
    }

    /// Responses of every kind.
    pub fn responses(&self) -> i64 {
        self.csat.count + self.nps.count + self.ces.count
    }

    /// Whether the channels' shares add up to the totals: true of every
    /// `all` row written since the rows kept them.
    pub fn channels_complete(&self) -> bool {
        let mut sum = ChannelCounts::default();
        for counts in &self.channels {
            sum.add(counts, 1);
        }
        sum == ChannelCounts::of(self)
    }

    /// Adds `other` into this rollup.
    pub fn merge(&mut self, other: &Rollup) {
        self.combine(other, 1);
    }

    /// `self - other`: the delta that turns `other` into `self`.
    pub fn minus(&self, other: &Rollup) -> Rollup {
        let mut delta = *self;
        delta.combine(other, -1);
        delta
    }

    fn combine(&mut self, other: &Rollup, sign: i64) {
        self.invitations += sign * other.invitations;
        self.answered += sign * other.answered;
        self.sent += sign * other.sent;
        self.unsent += sign * other.unsent;
        self.flagged += sign * other.flagged;
        for kind in SurveyKind::ALL {
            self.stats_mut(kind).add(other.stats(kind), sign);
        }
        self.follow_up.add(&other.follow_up, sign);
        for (counts, o) in self.channels.iter_mut().zip(&other.channels) {
            counts.add(o, sign);
        }
    }

    pub fn is_zero(&self) -> bool {
        *self == Rollup::default()
    }

    /// This rollup in two: its figures, and its optional questions' moments
    /// (`{k}_{q}_{m}`), which only the drivers read. They sum back to it.
    pub fn apart(&self) -> (Rollup, Rollup) {
        let mut figures = *self;
        let mut moments = Rollup::default();
        for kind in SurveyKind::ALL {
            moments.stats_mut(kind).questions = self.stats(kind).questions;
            figures.stats_mut(kind).questions = Questions::default();
        }
        (figures, moments)
    }

    /// The scores of one response (not its invitation counters); of a
    /// flagged one, only that it is flagged.
    pub fn of_response(response: &Response) -> Rollup {
        let mut rollup = Rollup::default();
        if response.flagged.is_some() {
            rollup.flagged = 1;
            return rollup;
        }
        let score = i64::from(response.score);
        let stats = rollup.stats_mut(response.attribution.survey);
        stats.count = 1;
        stats.sum = score;
        stats.sum_sq = score * score;
        stats.hist[usize::from(response.score.min(10))] = 1;
        stats.questions = Questions::of(&response.answers, score);
        rollup
    }

    /// Every non-zero counter with its storage name.
    pub fn counters(&self) -> Vec<(String, i64)> {
        let mut out = Vec::new();
        let mut put = |name: String, value: i64| {
            if value != 0 {
                out.push((name, value));
            }
        };
        put("inv".into(), self.invitations);
        put("ans".into(), self.answered);
        put("snt".into(), self.sent);
        put("uns".into(), self.unsent);
        put("flg".into(), self.flagged);
        for kind in SurveyKind::ALL {
            let k = kind_prefix(kind);
            let stats = self.stats(kind);
            put(format!("{k}_n"), stats.count);
            put(format!("{k}_s"), stats.sum);
            put(format!("{k}_q"), stats.sum_sq);
            for (score, &count) in stats.hist.iter().enumerate() {
                put(format!("{k}_h{score}"), count);
            }
            for (q, moments) in QUESTION_NAMES.iter().zip(stats.questions.all()) {
                for (m, value) in MOMENT_NAMES.iter().zip(moments.values()) {
                    put(format!("{k}_{q}_{m}"), value);
                }
            }
        }
        for (name, value) in FollowUpStats::names()
            .into_iter()
            .zip(self.follow_up.values())
        {
            put(name, value);
        }
        for (channel, counts) in Channel::ALL.iter().zip(&self.channels) {
            for (suffix, value) in CHANNEL_COUNTER_SUFFIXES.iter().zip(counts.values()) {
                put(format!("ch{}{suffix}", channel.index()), value);
            }
        }
        out
    }

    /// Adds `value` to the counter stored as `name`. Returns false for a name
    /// this version does not know (written by a newer one), which is skipped.
    pub fn add_counter(&mut self, name: &str, value: i64) -> bool {
        match self.slot(name) {
            Some(slot) => {
                *slot += value;
                true
            }
            None => false,
        }
    }

    fn slot(&mut self, name: &str) -> Option<&mut i64> {
        if let Some(rest) = name.strip_prefix("ch") {
            let suffix = rest.chars().last()?;
            let index = &rest[..rest.len() - suffix.len_utf8()];
            if !index.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            let counts = self.channels.get_mut(index.parse::<usize>().ok()?)?;
            let i = CHANNEL_COUNTER_SUFFIXES.iter().position(|&c| c == suffix)?;
            return counts.slots().into_iter().nth(i);
        }
        match name {
            "inv" => return Some(&mut self.invitations),
            "ans" => return Some(&mut self.answered),
            "snt" => return Some(&mut self.sent),
            "uns" => return Some(&mut self.unsent),
            "flg" => return Some(&mut self.flagged),
            _ if name.starts_with("f_") => {
                let i = FollowUpStats::names().iter().position(|n| n == name)?;
                return self.follow_up.slots().into_iter().nth(i);
            }
            _ => {}
        }
        let (k, rest) = name.split_once('_')?;
        let kind = SurveyKind::ALL
            .into_iter()
            .find(|&kind| kind_prefix(kind) == k)?;
        let stats = self.stats_mut(kind);
        match rest {
            "n" => Some(&mut stats.count),
            "s" => Some(&mut stats.sum),
            "q" => Some(&mut stats.sum_sq),
            _ if rest.starts_with('h') => {
                let score: usize = rest[1..].parse().ok()?;
                stats.hist.get_mut(score)
            }
            _ => {
                let (q, m) = rest.split_once('_')?;
                let qi = QUESTION_NAMES.iter().position(|&n| n == q)?;
                let mi = MOMENT_NAMES.iter().position(|&n| n == m)?;
                let moments = stats.questions.all_mut().into_iter().nth(qi)?;
                moments.slots().into_iter().nth(mi)
            }
        }
    }
}

/// A signed change to the rollup of one slice on one day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RollupIncrement {
    pub slice: Slice,
    pub day: NaiveDate,
    pub delta: Rollup,
}

/// Collects deltas per (slice, day), merging those that hit the same row:
/// DynamoDB refuses two updates of one item in one transaction.
#[derive(Default)]
struct Increments(BTreeMap<(Slice, NaiveDate), Rollup>);

impl Increments {
    fn add(&mut self, slices: &[Slice], day: NaiveDate, delta: &Rollup) {
        self.add_signed(slices, day, delta, 1);
    }

    /// Adds `delta` (times `sign`) to each of `slices` on `day`. When the
    /// slices are a record's (`Slice::all_for`), the `all` row also counts
    /// the delta as its channel's share.
    fn add_signed(&mut self, slices: &[Slice], day: NaiveDate, delta: &Rollup, sign: i64) {
        let channel = slices.iter().find_map(|s| match s {
            Slice::Channel(c) => Some(*c),
            _ => None,
        });
        for slice in slices {
            let row = self.0.entry((slice.clone(), day)).or_default();
            row.combine(delta, sign);
            if let (Slice::All, Some(channel)) = (slice, channel) {
                row.channels[channel.index()].add(&ChannelCounts::of(delta), sign);
            }
        }
    }

    fn finish(self) -> Vec<RollupIncrement> {
        self.0
            .into_iter()
            .filter(|(_, delta)| !delta.is_zero())
            .map(|((slice, day), delta)| RollupIncrement { slice, day, delta })
            .collect()
    }
}

/// What an invitation counts for on its day in each of its slices: one
/// invitation, and whether the product sent it or never will. A change of
/// its sending state moves the counts by the difference ([`moved`]).
pub fn for_invitation(invitation: &Invitation) -> Vec<RollupIncrement> {
    let mut inc = Increments::default();
    let sending = invitation.sending.as_ref();
    let delta = Rollup {
        invitations: 1,
        sent: sending.is_some_and(|s| s.reached()).into(),
        unsent: sending.is_some_and(|s| s.never_sent()).into(),
        ..Rollup::default()
    };
    inc.add(
        &Slice::all_for(&invitation.attribution),
        invitation.day,
        &delta,
    );
    inc.finish()
}

/// Counts a first response: its score on the day it was given, and one more
/// answered invitation on the invitation's day.
pub fn for_new_response(response: &Response) -> Vec<RollupIncrement> {
    let mut inc = Increments::default();
    add_response(&mut inc, response, 1);
    inc.finish()
}

/// Moves a flagged response into the scores as `released`.
pub fn for_release(flagged: &Response, released: &Response) -> Vec<RollupIncrement> {
    let mut inc = Increments::default();
    add_response(&mut inc, flagged, -1);
    add_response(&mut inc, released, 1);
    inc.finish()
}

/// Adds (`sign` 1) or removes (-1) everything a response counts for. Only
/// an unflagged answer to an invitation counts that invitation as answered.
fn add_response(inc: &mut Increments, response: &Response, sign: i64) {
    let slices = Slice::all_for(&response.attribution);
    let mut scores = Rollup::default();
    scores.combine(&Rollup::of_response(response), sign);
    inc.add(&slices, response.day, &scores);
    if !response.reusable && response.flagged.is_none() {
        let answered = Rollup {
            answered: sign,
            ..Rollup::default()
        };
        inc.add(&slices, response.invited_day, &answered);
    }
}

/// Moves a response's counts from its old answer to its new one.
pub fn for_revision(old: &Response, new: &Response) -> Vec<RollupIncrement> {
    let delta = Rollup::of_response(new).minus(&Rollup::of_response(old));
    let mut inc = Increments::default();
    inc.add(&Slice::all_for(&old.attribution), old.day, &delta);
    inc.finish()
}

/// Moves a follow-up's figures from its `old` state (none when it is being
/// opened) to `new`, on the day and slices of its response.
pub fn for_follow_up(old: Option<&FollowUp>, new: &FollowUp) -> Vec<RollupIncrement> {
    let of = |f: Option<&FollowUp>| Rollup {
        follow_up: f.map(FollowUp::contribution).unwrap_or_default(),
        ..Rollup::default()
    };
    let delta = of(Some(new)).minus(&of(old));
    let mut inc = Increments::default();
    inc.add(&Slice::all_for(&new.attribution), new.day, &delta);
    inc.finish()
}

/// Several changes as one set of row updates: changes that hit the same row
/// are summed, since one transaction may update a row only once.
pub fn merged(parts: impl IntoIterator<Item = Vec<RollupIncrement>>) -> Vec<RollupIncrement> {
    let mut inc = Increments::default();
    for part in parts {
        for RollupIncrement { slice, day, delta } in part {
            inc.add(std::slice::from_ref(&slice), day, &delta);
        }
    }
    inc.finish()
}

/// How the rollups move when records that counted for `before` now count
/// for `after` (`after - before`, row by row): the effect of one change of a
/// stored record, from what its old and new versions count for.
pub fn moved(before: &[RollupIncrement], after: &[RollupIncrement]) -> Vec<RollupIncrement> {
    let mut inc = Increments::default();
    for (parts, sign) in [(before, -1), (after, 1)] {
        for RollupIncrement { slice, day, delta } in parts {
            inc.add_signed(std::slice::from_ref(slice), *day, delta, sign);
        }
    }
    inc.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Attribution, Channel, Expectation};

    fn response(score: u8, day: &str, invited: &str) -> Response {
        Response {
            id: "c0de0c0de0c0".into(),
            code: crate::Code::parse("code", "c0de0c0de0c0").unwrap(),
            attribution: Attribution {
                survey: SurveyKind::Csat,
                rep_id: Some(crate::RepId::parse("r", "ayesha").unwrap()),
                also_rep_ids: Vec::new(),
                channel: Channel::Sms,
                location: None,
            },
            score,
            answers: Answers {
                speed: Some(4),
                resolved: Some(true),
                expectations: Some(Expectation::Exceeded),
                ..Answers::default()
            },
            comment: None,
            locale: None,
            submitted_at: "2026-01-01T10:00:00Z".parse().unwrap(),
            edited_at: None,
            revision: 1,
            day: day.parse().unwrap(),
            invited_day: invited.parse().unwrap(),
            reusable: false,
            client: None,
            flagged: None,
        }
    }

    #[test]
    fn an_answer_credited_to_two_reps_counts_in_full_for_each_and_once_for_the_business() {
        let bilal = crate::RepId::parse("r", "bilal").unwrap();
        // Answered on the day it was invited: one row per slice.
        let mut shared = response(2, "2026-01-03", "2026-01-03");
        shared.attribution.also_rep_ids = vec![bilal.clone()];
        let incs = for_new_response(&shared);
        let row = |slice: &Slice| {
            let rows: Vec<_> = incs.iter().filter(|i| &i.slice == slice).collect();
            assert_eq!(rows.len(), 1, "{slice:?} once");
            rows[0].delta
        };
        let ayesha = row(&Slice::Rep(crate::RepId::parse("r", "ayesha").unwrap()));
        assert_eq!((ayesha.csat.count, ayesha.answered), (1, 1));
        assert_eq!(row(&Slice::Rep(bilal)), ayesha);
        let all = row(&Slice::All);
        assert_eq!((&all.csat, all.answered), (&ayesha.csat, 1));
        assert_eq!(incs.len(), 4, "all, channel and two reps");
    }

    #[test]
    fn flagged_answers_count_only_as_flagged_until_released_once() {
        let flagged = Response {
            flagged: Some(crate::abuse::Flag {
                reason: crate::abuse::FlagReason::AddressBurst,
                at: "2026-01-01T10:00:00Z".parse().unwrap(),
            }),
            ..response(5, "2026-01-03", "2026-01-01")
        };
        let held = for_new_response(&flagged);
        assert_eq!(held.len(), 3, "all, channel and rep on the answer's day");
        assert!(held.iter().all(|i| i.delta
            == Rollup {
                flagged: 1,
                ..Rollup::default()
            }));
        let mut total = Rollup::default();
        for inc in held
            .iter()
            .chain(&for_release(&flagged, &flagged.released()))
        {
            total.merge(&inc.delta);
        }
        let mut direct = Rollup::default();
        for inc in for_new_response(&flagged.released()) {
            direct.merge(&inc.delta);
        }
        assert_eq!(total, direct);
        assert_eq!((total.flagged, total.answered, total.csat.count), (0, 3, 3));
        // An edit of a held answer moves nothing.
        let edited = Response {
            score: 1,
            ..flagged.clone()
        };
        assert!(for_revision(&flagged, &edited).is_empty());
    }

    #[test]
    fn answers_through_a_reusable_link_answer_no_invitation() {
        let through_link = Response {
            reusable: true,
            ..response(4, "2026-01-01", "2026-01-01")
        };
        let rows = for_new_response(&through_link);
        assert!(
            rows.iter()
                .all(|i| i.delta.answered == 0 && i.delta.csat.count == 1)
        );
    }

    #[test]
    fn an_invitation_counts_as_sent_once_its_message_went_and_unsent_once_none_will() {
        use crate::sending::{Cancel, Phone, Recipient, Sending};
        let at: chrono::DateTime<chrono::Utc> = "2026-01-01T10:00:00Z".parse().unwrap();
        let phone = Recipient::Phone(Phone::parse("p", "+923001234567").unwrap());
        let scheduled = Sending::scheduled(phone, "hash".into(), at);
        let with = |sending: Option<&Sending>| Invitation {
            sending: sending.cloned(),
            ..crate::model::test_invitation(at)
        };
        let all = |sending: Option<&Sending>| {
            let rows = for_invitation(&with(sending));
            let all = rows.iter().find(|r| r.slice == Slice::All).unwrap();
            let share = all.delta.channels[Channel::Web.index()];
            assert_eq!(share, ChannelCounts::of(&all.delta), "the channel's share");
            (all.delta.invitations, all.delta.sent, all.delta.unsent)
        };
        assert_eq!(all(None), (1, 0, 0), "handed out by the business");
        assert_eq!(all(Some(&scheduled)), (1, 0, 0));
        let taken = scheduled.taken(at);
        let sent = taken.sent(at, None);
        assert_eq!(all(Some(&sent)), (1, 1, 0));
        let refused = taken.not_sent(at, "the gateway answered 400", false);
        assert_eq!(all(Some(&refused)), (1, 0, 1));
        let reminder_failed = sent.taken(at).not_sent(at, "answered 400", false);
        assert_eq!(all(Some(&reminder_failed)), (1, 1, 0), "the first went");
        for (why, unsent) in [
            (Cancel::Answered, 0),
            (Cancel::Expired, 1),
            (Cancel::OptedOut, 1),
            (Cancel::Erased, 1),
        ] {
            let cancelled = scheduled.cancelled(at, why);
            assert_eq!(all(Some(&cancelled)), (1, 0, unsent), "{why:?}");
        }
        // The move from one state to the next is the difference.
        let moved = moved(
            &for_invitation(&with(Some(&taken))),
            &for_invitation(&with(Some(&sent))),
        );
        let all_row = moved.iter().find(|r| r.slice == Slice::All).unwrap();
        assert_eq!((all_row.delta.invitations, all_row.delta.sent), (0, 1));
    }

    #[test]
    fn counters_round_trip_through_their_names() {
        let mut rollup = Rollup::of_response(&response(4, "2026-01-01", "2026-01-01"));
        rollup.invitations = 3;
        rollup.answered = 2;
        rollup.sent = 2;
        rollup.unsent = 1;
        rollup.follow_up.opened = 1;
        rollup.follow_up.contacted_in_sla = 1;
        rollup.follow_up.to_resolve[13] = 1;
        rollup.channels[Channel::InStore.index()] = ChannelCounts {
            invitations: 3,
            answered: 2,
            responses: 1,
            sent: 2,
            unsent: 1,
        };
        let mut back = Rollup::default();
        for (name, value) in rollup.counters() {
            assert!(back.add_counter(&name, value), "{name}");
        }
        assert_eq!(back, rollup);
        assert!(!back.add_counter("z_future", 1));
        assert!(!back.add_counter("c_h11", 1));
        assert!(!back.add_counter("c_zz_n", 1));
        assert!(!back.add_counter("f_ct14", 1));
        assert!(!back.add_counter("ch8i", 1));
        assert!(!back.add_counter("ch1n", 1));
        assert!(!back.add_counter("ch+1i", 1));
        assert!(!back.add_counter("chi", 1));
        assert!(back.add_counter("ch7r", 1));
        assert_eq!(back.channels[Channel::InStore.index()].responses, 2);
        // The longer names an earlier version wrote are not read: the row
        // then falls short of its totals and the channel rows are read.
        assert!(!back.add_counter("ch_in_store_rsp", 1));
    }

    #[test]
    fn the_all_row_counts_each_channels_share() {
        let invitation = crate::model::NewInvitation {
            order_id: Some("o-1".into()),
            channel: Some("in_store".into()),
            ..Default::default()
        }
        .validate(SurveyKind::Csat)
        .unwrap()
        .issue(
            crate::Code::parse("code", "c0de0c0de0c0").unwrap(),
            "2026-01-01T10:00:00Z".parse().unwrap(),
            chrono::Duration::days(30),
            &crate::time::TenantZone::parse("time_zone", "UTC").unwrap(),
        );
        let answered = response(4, "2026-01-03", "2026-01-01");
        let mut all = Rollup::default();
        let mut elsewhere = Rollup::default();
        for inc in merged([for_invitation(&invitation), for_new_response(&answered)]) {
            match inc.slice {
                Slice::All => all.merge(&inc.delta),
                _ => elsewhere.merge(&inc.delta),
            }
        }
        let share = |c: Channel| all.channels[c.index()];
        assert_eq!(
            share(Channel::InStore),
            ChannelCounts {
                invitations: 1,
                answered: 0,
                responses: 0,
                ..ChannelCounts::default()
            }
        );
        assert_eq!(
            share(Channel::Sms),
            ChannelCounts {
                invitations: 0,
                answered: 1,
                responses: 1,
                ..ChannelCounts::default()
            }
        );
        assert!(all.channels_complete());
        assert_eq!(elsewhere.channels, Rollup::default().channels);
        // A row written before the shares were kept falls short of its totals.
        let before = Rollup {
            invitations: 2,
            ..Rollup::default()
        };
        assert!(!before.channels_complete());
        let mut upgraded = before;
        upgraded.merge(&all);
        assert!(!upgraded.channels_complete());
    }

    #[test]
    fn the_counter_names_are_the_storage_format() {
        let rollup = Rollup::of_response(&response(5, "2026-01-01", "2026-01-01"));
        let names: Vec<_> = rollup.counters().into_iter().map(|(n, _)| n).collect();
        assert_eq!(
            names,
            [
                "c_n", "c_s", "c_q", "c_h5", "c_sp_n", "c_sp_x", "c_sp_xx", "c_sp_y", "c_sp_yy",
                "c_sp_xy", "c_rs_n", "c_rs_x", "c_rs_xx", "c_rs_y", "c_rs_yy", "c_rs_xy", "c_ex_n",
                "c_ex_x", "c_ex_xx", "c_ex_y", "c_ex_yy", "c_ex_xy"
            ]
        );
        let (figures, moments) = rollup.apart();
        let names_of =
            |r: Rollup| -> Vec<String> { r.counters().into_iter().map(|(n, _)| n).collect() };
        assert_eq!(names_of(moments).len(), 18);
        assert_eq!(names_of(figures), names[..4]);
        assert_eq!([names_of(figures), names_of(moments)].concat(), names);
        let mut whole = figures;
        whole.merge(&moments);
        assert_eq!(whole, rollup);
    }

    #[test]
    fn a_same_day_response_merges_its_rows() {
        let same = for_new_response(&response(5, "2026-01-01", "2026-01-01"));
        // all, channel and rep, each once: score and answered on one row.
        assert_eq!(same.len(), 3);
        assert!(
            same.iter()
                .all(|i| i.delta.answered == 1 && i.delta.csat.count == 1)
        );
        let later = for_new_response(&response(5, "2026-01-03", "2026-01-01"));
        assert_eq!(later.len(), 6);
    }

    /// The move between two versions of a record is the same as the
    /// delta each write path computes directly.
    #[test]
    fn moving_between_versions_is_each_writes_own_delta() {
        let old = response(2, "2026-01-03", "2026-01-01");
        let new = Response {
            score: 5,
            ..old.clone()
        };
        let counted = |r: &Response| for_new_response(r);
        assert_eq!(
            moved(&counted(&old), &counted(&new)),
            for_revision(&old, &new)
        );
        assert_eq!(moved(&[], &counted(&old)), counted(&old));
        assert!(moved(&counted(&old), &counted(&old)).is_empty());
        let flagged = Response {
            flagged: Some(crate::abuse::Flag {
                reason: crate::abuse::FlagReason::AddressBurst,
                at: "2026-01-01T10:00:00Z".parse().unwrap(),
            }),
            ..old.clone()
        };
        assert_eq!(
            moved(&counted(&flagged), &counted(&flagged.released())),
            for_release(&flagged, &flagged.released())
        );
    }

    #[test]
    fn a_revision_moves_the_histogram() {
        let old = response(2, "2026-01-01", "2026-01-01");
        let new = Response {
            score: 5,
            ..old.clone()
        };
        let moves = for_revision(&old, &new);
        assert_eq!(moves.len(), 3);
        let d = &moves[0].delta.csat;
        assert_eq!((d.count, d.hist[2], d.hist[5], d.sum), (0, -1, 1, 3));
        assert_eq!(moves[0].delta.answered, 0);
        assert!(for_revision(&old, &old).is_empty());
    }
}
