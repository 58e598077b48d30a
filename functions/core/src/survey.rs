//! Survey kinds and their scales.

use crate::error::{FieldError, Rule};
use serde::{Deserialize, Serialize};

/// What the main question measures, and on which scale.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[schema(as = Survey)]
#[serde(rename_all = "snake_case")]
pub enum SurveyKind {
    /// Customer satisfaction, 1–5.
    Csat,
    /// Net Promoter Score question, 0–10.
    Nps,
    /// Customer effort ("it was easy"), 1–7, higher is easier.
    Ces,
}

impl SurveyKind {
    pub const ALL: [SurveyKind; 3] = [SurveyKind::Csat, SurveyKind::Nps, SurveyKind::Ces];

    pub fn min(self) -> u8 {
        match self {
            SurveyKind::Csat | SurveyKind::Ces => 1,
            SurveyKind::Nps => 0,
        }
    }

    pub fn max(self) -> u8 {
        match self {
            SurveyKind::Csat => 5,
            SurveyKind::Nps => 10,
            SurveyKind::Ces => 7,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            SurveyKind::Csat => "csat",
            SurveyKind::Nps => "nps",
            SurveyKind::Ces => "ces",
        }
    }

    pub fn parse(field: &str, value: &str) -> Result<Self, FieldError> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == value)
            .ok_or_else(|| {
                FieldError::new(
                    field,
                    Rule::UnknownValue,
                    format!(
                        "unknown survey '{}'; expected csat, nps or ces",
                        truncate(value)
                    ),
                )
            })
    }

    /// Checks that `score` lies on this kind's scale.
    pub fn score(self, field: &str, score: i64) -> Result<u8, FieldError> {
        match u8::try_from(score) {
            Ok(s) if (self.min()..=self.max()).contains(&s) => Ok(s),
            _ => Err(FieldError::new(
                field,
                Rule::OutOfRange,
                format!(
                    "must be an integer from {} to {} for a {} survey, got {score}",
                    self.min(),
                    self.max(),
                    self.as_str()
                ),
            )),
        }
    }
}

/// Where a score falls on its kind's scale, by the metrics' own cut-offs:
/// CSAT 1–2 / 3 / 4–5, NPS detractors 0–6 / passives 7–8 / promoters 9–10,
/// CES 1–3 / 4 / 5–7 (agree).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Band {
    Unhappy,
    Neutral,
    Happy,
}

impl Band {
    pub const ALL: [Band; 3] = [Band::Unhappy, Band::Neutral, Band::Happy];

    pub fn as_str(self) -> &'static str {
        match self {
            Band::Unhappy => "unhappy",
            Band::Neutral => "neutral",
            Band::Happy => "happy",
        }
    }

    pub fn parse(field: &str, value: &str) -> Result<Self, FieldError> {
        Self::ALL
            .into_iter()
            .find(|b| b.as_str() == value)
            .ok_or_else(|| {
                FieldError::new(
                    field,
                    Rule::UnknownValue,
                    "must be unhappy, neutral or happy",
                )
            })
    }
}

impl SurveyKind {
    /// The lowest and highest score of `band` on this kind's scale.
    pub fn band_scores(self, band: Band) -> (u8, u8) {
        let (neutral_low, neutral_high) = match self {
            SurveyKind::Csat => (3, 3),
            SurveyKind::Nps => (7, 8),
            SurveyKind::Ces => (4, 4),
        };
        match band {
            Band::Unhappy => (self.min(), neutral_low - 1),
            Band::Neutral => (neutral_low, neutral_high),
            Band::Happy => (neutral_high + 1, self.max()),
        }
    }

    /// The band `score` falls in.
    pub fn band(self, score: u8) -> Band {
        Band::ALL
            .into_iter()
            .find(|&b| score <= self.band_scores(b).1)
            .unwrap_or(Band::Happy)
    }
}

/// Echoes at most 40 characters of a bad value back in an error message.
pub(crate) fn truncate(value: &str) -> String {
    let mut s: String = value.chars().take(40).filter(|c| !c.is_control()).collect();
    if value.chars().count() > 40 {
        s.push('…');
    }
    s
}

/// An optional question a business can turn on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Question {
    Friendliness,
    Speed,
    Knowledge,
    Resolved,
    Expectations,
}

impl Question {
    pub const ALL: [Question; 5] = [
        Question::Friendliness,
        Question::Speed,
        Question::Knowledge,
        Question::Resolved,
        Question::Expectations,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Question::Friendliness => "friendliness",
            Question::Speed => "speed",
            Question::Knowledge => "knowledge",
            Question::Resolved => "resolved",
            Question::Expectations => "expectations",
        }
    }

    pub fn parse(field: &str, value: &str) -> Result<Self, FieldError> {
        Self::ALL
            .into_iter()
            .find(|q| q.as_str() == value)
            .ok_or_else(|| {
                FieldError::new(
                    field,
                    Rule::UnknownValue,
                    format!(
                        "unknown question; expected one of {}",
                        Self::ALL.map(Question::as_str).join(", ")
                    ),
                )
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scales() {
        assert_eq!(SurveyKind::Csat.score("score", 5).unwrap(), 5);
        assert_eq!(SurveyKind::Nps.score("score", 0).unwrap(), 0);
        for (kind, bad) in [
            (SurveyKind::Csat, 0),
            (SurveyKind::Csat, 6),
            (SurveyKind::Nps, 11),
            (SurveyKind::Nps, -1),
            (SurveyKind::Ces, 8),
            (SurveyKind::Ces, i64::MAX),
        ] {
            let err = kind.score("score", bad).unwrap_err();
            assert_eq!((err.field.as_str(), err.rule), ("score", Rule::OutOfRange));
        }
    }

    #[test]
    fn bands_cover_each_scale_once() {
        for kind in SurveyKind::ALL {
            let mut next = kind.min();
            for band in Band::ALL {
                let (low, high) = kind.band_scores(band);
                assert_eq!(low, next, "{kind:?} {band:?}");
                assert!(high >= low);
                assert_eq!((kind.band(low), kind.band(high)), (band, band));
                next = high + 1;
            }
            assert_eq!(next, kind.max() + 1);
        }
        assert_eq!(SurveyKind::Nps.band_scores(Band::Unhappy), (0, 6));
        assert_eq!(SurveyKind::Ces.band_scores(Band::Happy), (5, 7));
    }

    #[test]
    fn parse_names_the_field() {
        assert_eq!(SurveyKind::parse("survey", "nps").unwrap(), SurveyKind::Nps);
        let err = SurveyKind::parse("survey", "stars").unwrap_err();
        assert_eq!(err.field, "survey");
        assert!(err.message.contains("stars"));
    }
}
