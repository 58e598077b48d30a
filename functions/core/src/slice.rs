//! Slices: the cuts a business reads its scores by.

use crate::ids::{LocationId, RepId};
use crate::model::{Attribution, Channel};

/// Rollups are kept per slice and day; `All` is the whole business.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Slice {
    All,
    Rep(RepId),
    Channel(Channel),
    Location(LocationId),
}

impl Slice {
    /// The slice's part of a store key. Ids cannot contain `#`, so keys of
    /// different slices never collide.
    pub fn key(&self) -> String {
        match self {
            Slice::All => "all".to_owned(),
            Slice::Rep(id) => format!("rep#{id}"),
            Slice::Channel(c) => format!("channel#{}", c.as_str()),
            Slice::Location(id) => format!("location#{id}"),
        }
    }

    /// Every slice a response or invitation with this attribution counts in.
    pub fn all_for(attribution: &Attribution) -> Vec<Slice> {
        let mut slices = vec![Slice::All, Slice::Channel(attribution.channel)];
        slices.extend(attribution.reps().cloned().map(Slice::Rep));
        if let Some(location) = &attribution.location {
            slices.push(Slice::Location(location.clone()));
        }
        slices
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::survey::SurveyKind;

    #[test]
    fn keys_are_distinct_per_kind_of_slice() {
        let rep = Slice::Rep(RepId::parse("r", "sms").unwrap());
        let channel = Slice::Channel(Channel::Sms);
        assert_ne!(rep.key(), channel.key());
        assert_eq!(Slice::All.key(), "all");
    }

    #[test]
    fn attribution_counts_in_each_of_its_slices() {
        let a = Attribution {
            survey: SurveyKind::Csat,
            rep_id: Some(RepId::parse("r", "ayesha").unwrap()),
            also_rep_ids: Vec::new(),
            channel: Channel::Receipt,
            location: None,
        };
        assert_eq!(Slice::all_for(&a).len(), 3);
        let bilal = RepId::parse("r", "bilal").unwrap();
        let shared = Attribution {
            also_rep_ids: vec![bilal.clone()],
            ..a
        };
        assert_eq!(
            Slice::all_for(&shared),
            [
                Slice::All,
                Slice::Channel(Channel::Receipt),
                Slice::Rep(RepId::parse("r", "ayesha").unwrap()),
                Slice::Rep(bilal),
            ],
            "the business once, each rep in full"
        );
    }
}
