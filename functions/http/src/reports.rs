//! The reports' requests and answers: parsing a range and a slice from a
//! query, and rendering the figures `feedback_app::reports` computes as
//! the API's JSON.

use crate::apidoc::{query_param, schema_ref};
use crate::body::Query;
use crate::error::ApiError;
use chrono::{DateTime, NaiveDate, Utc};
use feedback_app::reports::{Drivers, Leaderboard, Scores, Standing};
use feedback_core::drivers::Driver;
use feedback_core::metrics::{self, Ces, Change, Changes, Csat, Estimate, Nps, Summary};
use feedback_core::time::Granularity;
use feedback_core::time::{DateRange, parse_day};
use feedback_core::{
    Band, Channel, FieldError, Locale, LocationId, RepId, Response, Rollup, Rule, Slice, SurveyKind,
};
use serde::Serialize;
use utoipa::IntoParams;
use utoipa::openapi::Required;
use utoipa::openapi::path::{Parameter, ParameterIn};
use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, SchemaFormat, Type};

/// `from` and `to` (both required), as a range.
pub fn required_range(q: &Query) -> Result<DateRange, ApiError> {
    let mut errors = Vec::new();
    let mut day = |name: &str| match q.parsed(name, parse_day) {
        Ok(Some(d)) => Some(d),
        Ok(None) => {
            errors.push(FieldError::new(
                name,
                Rule::Required,
                "is required (YYYY-MM-DD)",
            ));
            None
        }
        Err(e) => {
            errors.push(e);
            None
        }
    };
    let (from, to) = (day("from"), day("to"));
    match (from, to) {
        (Some(from), Some(to)) if errors.is_empty() => Ok(DateRange::new(from, to)?),
        _ => Err(ApiError::Invalid(errors)),
    }
}

/// The query parameters that name a slice.
const SLICE_PARAMS: [&str; 3] = ["rep_id", "channel", "location"];

/// [`SLICE_PARAMS`] in the API document.
pub struct SliceParams;

impl IntoParams for SliceParams {
    fn into_params(_: impl Fn() -> Option<ParameterIn>) -> Vec<Parameter> {
        vec![
            query_param(
                "rep_id",
                "Answers that credit this rep, as the first rep or one of the others",
                feedback_core::schema::id(),
            ),
            query_param("channel", "", schema_ref::<Channel>()),
            query_param("location", "", feedback_core::schema::id()),
        ]
    }
}

/// `from` and `to`: the days a report covers (a list's, when not
/// `REQUIRED`).
pub struct RangeParams<const REQUIRED: bool>;

impl<const REQUIRED: bool> IntoParams for RangeParams<REQUIRED> {
    fn into_params(_: impl Fn() -> Option<ParameterIn>) -> Vec<Parameter> {
        let day = |name, description| {
            let mut param = query_param(
                name,
                description,
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .format(Some(SchemaFormat::KnownFormat(KnownFormat::Date))),
            );
            param.required = if REQUIRED {
                Required::True
            } else {
                Required::False
            };
            param
        };
        vec![
            day("from", "First day (tenant time zone)"),
            day("to", "Last day, inclusive"),
        ]
    }
}

/// `limit` and `cursor`: one page of a list, `DEFAULT` long when `limit`
/// is not given.
pub struct PageParams<const DEFAULT: i64>;

impl<const DEFAULT: i64> IntoParams for PageParams<DEFAULT> {
    fn into_params(_: impl Fn() -> Option<ParameterIn>) -> Vec<Parameter> {
        vec![
            query_param(
                "limit",
                &format!("Page size (default {DEFAULT})"),
                ObjectBuilder::new()
                    .schema_type(Type::Integer)
                    .minimum(Some(1))
                    .maximum(Some(feedback_store::MAX_PAGE as i32)),
            ),
            query_param(
                "cursor",
                "`next_cursor` of the previous page",
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .min_length(Some(1)),
            ),
        ]
    }
}

/// `params` and the slice's: what a sliced report's query may name.
pub fn with_slice(params: &[&'static str]) -> Vec<&'static str> {
    params.iter().copied().chain(SLICE_PARAMS).collect()
}

/// The slice a request names with at most one of `rep_id`, `channel`,
/// `location`.
pub fn slice(q: &Query) -> Result<Slice, ApiError> {
    let named: Vec<&str> = SLICE_PARAMS
        .into_iter()
        .filter(|n| q.get(n).is_some())
        .collect();
    if named.len() > 1 {
        return Err(FieldError::new(
            named[1],
            Rule::BadFormat,
            "give at most one of rep_id, channel, location",
        )
        .into());
    }
    Ok(if let Some(rep) = q.parsed("rep_id", RepId::parse)? {
        Slice::Rep(rep)
    } else if let Some(channel) = q.parsed("channel", Channel::parse)? {
        Slice::Channel(channel)
    } else if let Some(location) = q.parsed("location", LocationId::parse)? {
        Slice::Location(location)
    } else {
        Slice::All
    })
}

/// The slice a report is about; null for the whole business.
#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
enum SliceView<'a> {
    #[schema(value_type = String)]
    RepId(&'a RepId),
    Channel(Channel),
    #[schema(value_type = String)]
    Location(&'a LocationId),
}

fn slice_view(slice: &Slice) -> Option<SliceView<'_>> {
    match slice {
        Slice::All => None,
        Slice::Rep(id) => Some(SliceView::RepId(id)),
        Slice::Channel(c) => Some(SliceView::Channel(*c)),
        Slice::Location(l) => Some(SliceView::Location(l)),
    }
}

/// A period's figures, with its first and last day.
#[derive(Serialize, utoipa::ToSchema)]
struct Period<'a> {
    #[serde(flatten)]
    summary: &'a Summary,
    start: NaiveDate,
    end: NaiveDate,
}

impl<'a> Period<'a> {
    fn new(range: DateRange, summary: &'a Summary) -> Self {
        Period {
            summary,
            start: range.from,
            end: range.to,
        }
    }
}

/// One channel's invitations and answers.
#[derive(Serialize, utoipa::ToSchema)]
struct ChannelRateView {
    channel: Channel,
    invitations: i64,
    /// Of the invitations, those the product sent.
    sent: i64,
    /// Of the invitations, those the product was to send and never will
    /// (refused, opted out, cancelled unanswered): the rate leaves them out.
    not_sent: i64,
    answered: i64,
    responses: i64,
    /// Percent of the channel's invitations answered (by invitation day),
    /// never-sent ones left out, with its Wilson interval.
    response_rate: Option<Estimate>,
}

/// What `/v1/scores` answers.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = Scores)]
pub struct ScoresView<'a> {
    from: NaiveDate,
    to: NaiveDate,
    time_zone: &'a str,
    granularity: Granularity,
    slice: Option<SliceView<'a>>,
    summary: &'a Summary,
    series: Vec<Period<'a>>,
    /// The period `compare` asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    compare: Option<Period<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    change: Option<&'a Changes>,
    /// Response rate per channel; only for the whole business (no rep_id,
    /// channel or location).
    #[serde(skip_serializing_if = "Option::is_none")]
    channels: Option<Vec<ChannelRateView>>,
}

pub fn scores_view<'a>(scores: &'a Scores, time_zone: &'a str) -> ScoresView<'a> {
    ScoresView {
        from: scores.range.from,
        to: scores.range.to,
        time_zone,
        granularity: scores.granularity,
        slice: slice_view(&scores.slice),
        summary: &scores.summary,
        series: scores
            .series
            .iter()
            .map(|(r, s)| Period::new(*r, s))
            .collect(),
        compare: scores.compare.as_ref().map(|(r, s, _)| Period::new(*r, s)),
        change: scores.compare.as_ref().map(|(_, _, c)| c),
        channels: scores.channels.as_ref().map(|channels| {
            channels
                .iter()
                .map(|c| ChannelRateView {
                    channel: c.channel,
                    invitations: c.counts.invitations,
                    sent: c.counts.sent,
                    not_sent: c.counts.unsent,
                    answered: c.counts.answered,
                    responses: c.counts.responses,
                    response_rate: c.rate,
                })
                .collect()
        }),
    }
}

/// A kind's metrics.
#[derive(Serialize, utoipa::ToSchema)]
#[serde(untagged)]
enum KindMetrics {
    Csat(Csat),
    Nps(Nps),
    Ces(Ces),
}

/// The kind's metrics; none without ratings.
fn kind_metrics(kind: SurveyKind, rollup: &Rollup) -> Option<KindMetrics> {
    let stats = rollup.stats(kind);
    match kind {
        SurveyKind::Csat => metrics::csat(stats).map(KindMetrics::Csat),
        SurveyKind::Nps => metrics::nps(stats).map(KindMetrics::Nps),
        SurveyKind::Ces => metrics::ces(stats).map(KindMetrics::Ces),
    }
}

/// A rep's standing. `rank` only on ranked reps.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = Standing)]
struct StandingView<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    rank: Option<usize>,
    #[schema(value_type = String)]
    rep_id: &'a RepId,
    display_name: &'a str,
    active: bool,
    count: i64,
    fair_score: Option<f64>,
    headline: Option<f64>,
    /// The headline figure's 95% interval (none below two ratings).
    interval: Option<Estimate>,
    /// The interval spans more than a quarter of the scale (or there is
    /// none): the rep's place would be mostly chance.
    too_wide_to_rank: bool,
    /// This period's headline against the previous period's.
    trend: Option<Change>,
    previous_count: i64,
    metrics: Option<KindMetrics>,
}

fn standing_view<'a>(board: &Leaderboard, s: &'a Standing) -> StandingView<'a> {
    let stats = s.rollup.stats(board.kind);
    StandingView {
        rank: s.rank,
        rep_id: &s.rep.id,
        display_name: &s.rep.display_name,
        active: s.rep.active,
        count: stats.count,
        fair_score: s.fair,
        headline: metrics::headline(board.kind, stats),
        interval: s.estimate,
        too_wide_to_rank: s.too_wide,
        trend: s.trend,
        previous_count: s.previous_count,
        metrics: kind_metrics(board.kind, &s.rollup),
    }
}

/// The first and last day of a period.
#[derive(Serialize, utoipa::ToSchema)]
struct Days {
    from: NaiveDate,
    to: NaiveDate,
}

/// The whole business's figure the reps are measured against.
#[derive(Serialize, utoipa::ToSchema)]
struct TenantFigure {
    count: i64,
    headline: Option<f64>,
}

/// What `/v1/leaderboard` answers.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = Leaderboard)]
pub struct LeaderboardView<'a> {
    from: NaiveDate,
    to: NaiveDate,
    /// The period the trend compares with.
    previous: Days,
    survey: SurveyKind,
    min_count: i64,
    ranking: &'static str,
    tenant: TenantFigure,
    /// Ranked reps, best first.
    reps: Vec<StandingView<'a>>,
    /// Reps with fewer ratings than min_count.
    below_min_count: Vec<StandingView<'a>>,
    /// Reps with enough ratings whose interval is too wide to rank.
    too_wide_to_rank: Vec<StandingView<'a>>,
}

pub fn leaderboard_view(board: &Leaderboard) -> LeaderboardView<'_> {
    let list = |keep: &dyn Fn(&Standing) -> bool| -> Vec<StandingView<'_>> {
        board
            .standings
            .iter()
            .filter(|s| keep(s))
            .map(|s| standing_view(board, s))
            .collect()
    };
    let few = |s: &Standing| s.rollup.stats(board.kind).count < board.min_count;
    let stats = board.tenant.stats(board.kind);
    LeaderboardView {
        from: board.range.from,
        to: board.range.to,
        previous: Days {
            from: board.previous.from,
            to: board.previous.to,
        },
        survey: board.kind,
        min_count: board.min_count,
        ranking: "Bayesian average: each rep's figure shrunk toward the business's with the weight of 10 ratings; reps with fewer than min_count ratings, or whose 95% interval spans more than a quarter of the scale, are listed but not ranked",
        tenant: TenantFigure {
            count: stats.count,
            headline: metrics::headline(board.kind, stats),
        },
        reps: list(&|s| s.rank.is_some()),
        below_min_count: list(&few),
        too_wide_to_rank: list(&|s| s.rank.is_none() && !few(s)),
    }
}

/// What `/v1/drivers` answers.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = Drivers)]
pub struct DriversView<'a> {
    from: NaiveDate,
    to: NaiveDate,
    slice: Option<SliceView<'a>>,
    survey: SurveyKind,
    min_count: i64,
    responses: i64,
    method: &'static str,
    /// Measured questions first, strongest first.
    drivers: &'a [Driver],
}

pub fn drivers_view(drivers: &Drivers) -> DriversView<'_> {
    DriversView {
        from: drivers.range.from,
        to: drivers.range.to,
        slice: slice_view(&drivers.slice),
        survey: drivers.kind,
        min_count: drivers.min_count,
        responses: drivers.responses,
        method: "Pearson correlation of each optional answer with the main score, with Fisher's 95% interval, and the least-squares slope (main-score points per answer step); questions with fewer than min_count answers get no figure",
        drivers: &drivers.drivers,
    }
}

/// What a comment list shows of a response.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = Comment)]
pub struct CommentView<'a> {
    id: &'a str,
    submitted_at: DateTime<Utc>,
    survey: SurveyKind,
    score: u8,
    band: Band,
    comment: Option<&'a str>,
    #[schema(value_type = Option<String>)]
    rep_id: Option<&'a RepId>,
    /// The other reps credited with the answer.
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    #[schema(value_type = Vec<String>)]
    also_rep_ids: &'a [RepId],
    channel: Channel,
    #[schema(value_type = Option<String>)]
    location: Option<&'a LocationId>,
    #[schema(value_type = Option<String>)]
    locale: Option<&'a Locale>,
}

impl<'a> From<&'a Response> for CommentView<'a> {
    fn from(r: &'a Response) -> Self {
        let kind = r.attribution.survey;
        CommentView {
            id: &r.id,
            submitted_at: r.submitted_at,
            survey: kind,
            score: r.score,
            band: kind.band(r.score),
            comment: r.comment.as_deref(),
            rep_id: r.attribution.rep_id.as_ref(),
            also_rep_ids: &r.attribution.also_rep_ids,
            channel: r.attribution.channel,
            location: r.attribution.location.as_ref(),
            locale: r.locale.as_ref(),
        }
    }
}

/// One page of comments.
#[derive(Serialize, utoipa::ToSchema)]
pub struct CommentPage<'a> {
    pub comments: Vec<CommentView<'a>>,
    /// Pass as `cursor` for the next page; null on the last.
    pub next_cursor: Option<String>,
}
