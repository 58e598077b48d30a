//! Schemas of fields whose rules a derive cannot spell: the text this
//! crate's validators accept, as JSON Schema patterns, for the API document
//! (`#[schema(schema_with = …)]`).

use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{ObjectBuilder, Schema, SchemaType, Type};

/// White space `str::trim` removes, as a regex class body.
const SPACE: &str =
    r"\t\n\u000b\u000c\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000";
/// Control characters (`char::is_control`).
const CONTROL: &str = r"\u0000-\u001f\u007f-\u009f";
/// Non-control white space that trimming removes but `is_control` does not.
const VISIBLE_SPACE: &str = r" \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000";

fn string(nullable: bool) -> ObjectBuilder {
    let kind = if nullable {
        SchemaType::from_iter([Type::String, Type::Null])
    } else {
        SchemaType::Type(Type::String)
    };
    ObjectBuilder::new().schema_type(kind)
}

fn done(builder: ObjectBuilder) -> RefOr<Schema> {
    RefOr::T(Schema::Object(builder.build()))
}

/// What `validate_label(…, max)` accepts: 1 to `max` characters once white
/// space at either end is trimmed, no control characters.
fn label(max: usize, nullable: bool) -> RefOr<Schema> {
    let pattern = format!(
        "^[{SPACE}]*[^{CONTROL}{VISIBLE_SPACE}](?:[^{CONTROL}]{{0,{inner}}}[^{CONTROL}{VISIBLE_SPACE}])?[{SPACE}]*$",
        inner = max - 2
    );
    done(string(nullable).pattern(Some(pattern)).description(Some(format!(
        "1–{max} characters once white space at either end is trimmed; no control characters"
    ))))
}

pub fn label_100() -> RefOr<Schema> {
    label(100, false)
}

pub fn nullable_label_100() -> RefOr<Schema> {
    label(100, true)
}

pub fn nullable_label_64() -> RefOr<Schema> {
    label(64, true)
}

/// A rep id or location: `RepId::parse` and `LocationId::parse`.
fn id_schema(nullable: bool) -> RefOr<Schema> {
    done(
        string(nullable)
            .pattern(Some("^[A-Za-z0-9._-]{1,64}$"))
            .description(Some("1–64 letters, digits, '-', '_' or '.'")),
    )
}

pub fn id() -> RefOr<Schema> {
    id_schema(false)
}

pub fn nullable_id() -> RefOr<Schema> {
    id_schema(true)
}

/// The other reps a request credits (`credited_reps`): up to two distinct
/// rep ids beside `rep_id`.
pub fn also_rep_ids() -> RefOr<Schema> {
    use utoipa::openapi::schema::ArrayBuilder;
    let array = ArrayBuilder::new()
        .schema_type(SchemaType::from_iter([Type::Array, Type::Null]))
        .items(id())
        .max_items(Some(crate::ids::MAX_REPS - 1))
        .unique_items(true)
        .description(Some(
            "Up to two more reps credited with the answer, each in full; needs rep_id, and names none twice",
        ));
    RefOr::T(Schema::Array(array.build()))
}

/// A BCP 47 language tag as `Locale::parse` takes it.
pub fn nullable_locale() -> RefOr<Schema> {
    done(locale(string(true)))
}

/// Control characters but tab and line breaks: what free text may not hold.
const TEXT_CONTROL: &str = r"\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f";

/// What `bounded_text` accepts: at most `max` characters, no control
/// characters but tabs and line breaks.
fn bounded_text(builder: ObjectBuilder, max: usize) -> ObjectBuilder {
    builder
        .max_length(Some(max))
        .pattern(Some(format!("^[^{TEXT_CONTROL}]*$")))
}

/// Free text of at most `max` characters, as `validate_comment` takes it:
/// a blank one counts as none.
pub fn free_text(max: usize, nullable: bool) -> RefOr<Schema> {
    done(bounded_text(string(nullable), max))
}

/// Free text that must not be blank (a follow-up's assignee or note), or
/// null; `lead` says what it is.
pub fn filled_text(max: usize, lead: &str) -> RefOr<Schema> {
    done(
        string(true)
            .max_length(Some(max))
            .pattern(Some(format!(
                "^[^{TEXT_CONTROL}]*[^{TEXT_CONTROL}{SPACE}][^{TEXT_CONTROL}]*$"
            )))
            .description(Some(format!(
                "{lead} 1–{max} characters, not all white space; no control characters but tabs and line breaks."
            ))),
    )
}

/// The thank-you texts: up to 500 characters per language tag.
pub fn nullable_thank_you() -> RefOr<Schema> {
    done(
        ObjectBuilder::new()
            .schema_type(SchemaType::from_iter([Type::Object, Type::Null]))
            .additional_properties(Some(Schema::Object(
                bounded_text(string(false), 500).build(),
            )))
            .property_names(Some(locale(string(false)).build())),
    )
}

/// A coupon: up to 200 characters; null clears it.
pub fn nullable_coupon() -> RefOr<Schema> {
    done(bounded_text(string(true), 200))
}

fn locale(builder: ObjectBuilder) -> ObjectBuilder {
    builder
        .pattern(Some("^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$"))
        .max_length(Some(35))
}

/// A customer ref as `CustomerRef::parse` takes it: 1–256 characters, no
/// control characters or `#`, no white space at either end.
fn customer_ref_schema(nullable: bool) -> RefOr<Schema> {
    done(
        string(nullable)
            .min_length(Some(1))
            .max_length(Some(256))
            .pattern(Some(r"^[^\s\u0000-\u001f\u007f-\u009f#](?:[^\u0000-\u001f\u007f-\u009f#]*[^\s\u0000-\u001f\u007f-\u009f#])?$")),
    )
}

pub fn customer_ref() -> RefOr<Schema> {
    customer_ref_schema(false)
}

pub fn nullable_customer_ref() -> RefOr<Schema> {
    customer_ref_schema(true)
}
