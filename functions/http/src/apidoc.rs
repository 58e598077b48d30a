//! What the operations of the API document share, used by the handlers'
//! `#[utoipa::path]` attributes: the problem answers, and parameters whose
//! schemas come from the validators. The document itself is
//! [`crate::openapi`].

use crate::error::Problem;
use utoipa::ToSchema;
use utoipa::openapi::path::{Parameter, ParameterBuilder, ParameterIn};
use utoipa::openapi::schema::Schema;
use utoipa::openapi::{self, ContentBuilder, RefOr, Required, ResponseBuilder};

/// The problem answers operations share, each a component of its own so an
/// operation lists the statuses it can answer without repeating them.
macro_rules! problems {
    ($($name:ident = $description:literal;)*) => {
        $(
            #[doc = $description]
            pub struct $name;

            impl<'s> utoipa::ToResponse<'s> for $name {
                fn response() -> (&'s str, RefOr<openapi::Response>) {
                    (stringify!($name), problem_response($description).into())
                }
            }
        )*
    };
}

problems! {
    P400 = "Invalid input; `errors` names each field";
    P401 = "No live API key";
    P403 = "The key lacks the route's scope";
    P404 = "Not found";
    P409 = "Conflicts with the stored state";
    P410 = "The link expired";
    P413 = "Body too large";
    P415 = "Unsupported content type";
    P422 = "Refers to something that does not exist";
    P429 = "Over a rate limit; retry after Retry-After seconds";
    P503 = "Briefly unavailable; nothing was stored; retry after Retry-After seconds";
}

/// A route's path parameter, its schema given by the validator's rules.
pub fn path_param(name: &str, schema: RefOr<Schema>) -> Vec<Parameter> {
    vec![
        ParameterBuilder::new()
            .name(name)
            .parameter_in(ParameterIn::Path)
            .required(Required::True)
            .schema(Some(schema))
            .build(),
    ]
}

/// An optional query parameter.
pub fn query_param(name: &str, description: &str, schema: impl Into<RefOr<Schema>>) -> Parameter {
    ParameterBuilder::new()
        .name(name)
        .parameter_in(ParameterIn::Query)
        .required(Required::False)
        .description(Some(description).filter(|d| !d.is_empty()))
        .schema(Some(schema))
        .build()
}

/// A reference to a named response of the document (a problem's).
pub fn response_ref(name: &str) -> RefOr<openapi::Response> {
    RefOr::Ref(openapi::Ref::from_response_name(name))
}

/// A reference to a named schema of the document.
pub fn schema_ref<T: ToSchema>() -> RefOr<Schema> {
    RefOr::Ref(openapi::Ref::from_schema_name(T::name()))
}

fn problem_response(description: &str) -> openapi::Response {
    ResponseBuilder::new()
        .description(description)
        .content(
            "application/problem+json",
            ContentBuilder::new()
                .schema(Some(schema_ref::<Problem>()))
                .build(),
        )
        .build()
}
