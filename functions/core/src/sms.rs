//! The SMS text of an invitation, made to fit one message.
//!
//! One SMS carries 160 GSM-7 characters (the extension characters such as
//! `€` or `[` take two), or 70 UCS-2 characters once any other character
//! appears (Urdu or Hindi names, emoji). The text is the longest of a few
//! phrasings that fits one message; if even the shortest does not, the
//! business name is shortened.

/// GSM 03.38 basic character set.
const GSM7_BASIC: &str = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
/// GSM 03.38 extension table: each costs two characters.
const GSM7_EXTENSION: &str = "^{}\\[~]|€\u{c}";

/// The length of `text` in one encoding's units, and that encoding's limit
/// for a single message.
fn sms_cost(text: &str) -> (usize, usize) {
    let mut septets = 0;
    for c in text.chars() {
        if GSM7_BASIC.contains(c) {
            septets += 1;
        } else if GSM7_EXTENSION.contains(c) {
            septets += 2;
        } else {
            // UCS-2 counts UTF-16 code units (an emoji takes two).
            return (text.encode_utf16().count(), 70);
        }
    }
    (septets, 160)
}

/// Whether `text` fits in one SMS.
pub fn fits_one_sms(text: &str) -> bool {
    let (cost, limit) = sms_cost(text);
    cost <= limit
}

/// An invitation SMS for `business` linking to `url`, in one message where
/// the name allows (the URL is never cut).
pub fn invitation_text(business: &str, url: &str) -> String {
    let phrasings = [
        format!("Thank you for visiting {business}! How did we do? Tap to rate us: {url}"),
        format!("{business}: how did we do? Rate us: {url}"),
    ];
    if let Some(text) = phrasings.iter().find(|t| fits_one_sms(t)) {
        return text.clone();
    }
    with_name_to_fit(business, 1, |name| format!("{name}: rate us {url}"))
        .unwrap_or_else(|| format!("Rate us: {url}"))
}

/// `text` for the business `name`, in one SMS where shortening the name
/// allows: cut one character at a time (and marked with a full stop), to
/// no fewer than `shortest` characters. `None` when even that does not fit.
pub fn with_name_to_fit(
    name: &str,
    shortest: usize,
    text: impl Fn(&str) -> String,
) -> Option<String> {
    let whole = text(name);
    if fits_one_sms(&whole) {
        return Some(whole);
    }
    let chars: Vec<char> = name.chars().collect();
    (shortest.max(1)..chars.len()).rev().find_map(|keep| {
        let cut = format!("{}.", chars[..keep].iter().collect::<String>().trim_end());
        Some(text(&cut)).filter(|t| fits_one_sms(t))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const URL: &str = "https://fb.example.com/r/AbCdEf123456";

    #[test]
    fn a_short_name_gets_the_friendliest_text() {
        let text = invitation_text("Chai Corner", URL);
        assert!(text.starts_with("Thank you for visiting Chai Corner!"));
        assert!(text.ends_with(URL) && fits_one_sms(&text));
    }

    #[test]
    fn long_names_are_shortened_but_the_link_is_whole() {
        let name = "The Very Long Name of a Family Business Established in 1952 and Still Going Strong Today, Lahore";
        let text = invitation_text(name, URL);
        assert!(text.ends_with(URL) && fits_one_sms(&text), "{text}");
    }

    #[test]
    fn urdu_names_switch_to_the_seventy_character_limit() {
        let text = invitation_text("چائے کارنر", URL);
        assert!(fits_one_sms(&text) && text.ends_with(URL), "{text}");
        assert_eq!(sms_cost("چائے").1, 70);
    }

    #[test]
    fn a_name_is_cut_no_shorter_than_asked() {
        let text = |name: &str| format!("{name}: {}", "x".repeat(140));
        let name = "Chai Corner and Bakery";
        assert_eq!(
            with_name_to_fit(name, 12, text).as_deref(),
            Some(text("Chai Corner and B.").as_str()),
            "the longest cut that fits"
        );
        assert_eq!(with_name_to_fit(name, 30, text), None);
        let fits = |name: &str| format!("{name}: rate us");
        assert_eq!(with_name_to_fit(name, 30, fits), Some(fits(name)));
    }

    #[test]
    fn extension_characters_cost_two() {
        assert_eq!(sms_cost("a€b"), (4, 160));
        assert!(fits_one_sms(&"a".repeat(160)));
        assert!(!fits_one_sms(&format!("{}€", "a".repeat(159))));
    }
}
