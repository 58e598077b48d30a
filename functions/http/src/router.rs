//! The axum router of one or more functions: each route of the table to its
//! handler, inside the middleware.

use crate::handlers::{
    dashboard, erasure, follow_ups, invitations, keys, links, meta, public, reps, responses,
    scores, settings, snippet, webhooks,
};
use crate::middleware;
use crate::routes::{Endpoint, Function, ROUTES, Route};
use crate::state::AppState;
use axum::Router;
use axum::routing::{MethodFilter, MethodRouter, on};

fn handler(route: &Route) -> MethodRouter<AppState> {
    let filter = MethodFilter::try_from(route.method.clone()).expect("route methods are standard");
    match route.endpoint {
        Endpoint::Health => on(filter, meta::health),
        Endpoint::RatingJson => on(filter, public::rating),
        Endpoint::Submit => on(filter, public::submit),
        Endpoint::OpenApi => on(filter, crate::openapi::serve),
        Endpoint::CreateInvitations => on(filter, invitations::create),
        Endpoint::GetInvitation => on(filter, invitations::get),
        Endpoint::Snippet => on(filter, snippet::invitation),
        Endpoint::LinkSnippet => on(filter, snippet::link),
        Endpoint::CreateLink => on(filter, links::create),
        Endpoint::ListLinks => on(filter, links::list),
        Endpoint::GetLink => on(filter, links::get),
        Endpoint::PatchLink => on(filter, links::patch),
        Endpoint::PutRep => on(filter, reps::put),
        Endpoint::GetRep => on(filter, reps::get),
        Endpoint::ListReps => on(filter, reps::list),
        Endpoint::DeleteRep => on(filter, reps::delete),
        Endpoint::GetSettings => on(filter, settings::get),
        Endpoint::PutSettings => on(filter, settings::put),
        Endpoint::CreateKey => on(filter, keys::create),
        Endpoint::ListKeys => on(filter, keys::list),
        Endpoint::RevokeKey => on(filter, keys::revoke),
        Endpoint::ListResponses => on(filter, responses::list),
        Endpoint::ExportResponses => on(filter, responses::export),
        Endpoint::ReleaseResponse => on(filter, responses::release),
        Endpoint::EraseCustomer => on(filter, erasure::erase),
        Endpoint::ListFollowUps => on(filter, follow_ups::list),
        Endpoint::GetFollowUp => on(filter, follow_ups::get),
        Endpoint::PatchFollowUp => on(filter, follow_ups::patch),
        Endpoint::CreateWebhook => on(filter, webhooks::create),
        Endpoint::ListWebhooks => on(filter, webhooks::list),
        Endpoint::DeleteWebhook => on(filter, webhooks::delete),
        Endpoint::ListDeliveries => on(filter, webhooks::deliveries),
        Endpoint::Scores => on(filter, scores::scores),
        Endpoint::Leaderboard => on(filter, scores::leaderboard),
        Endpoint::Drivers => on(filter, scores::drivers),
        Endpoint::Comments => on(filter, responses::comments),
        Endpoint::Dashboard => on(filter, dashboard::show),
        Endpoint::SignIn => on(filter, dashboard::sign_in),
        Endpoint::SignOut => on(filter, dashboard::sign_out),
    }
}

/// The router serving `functions`' routes (all of them in the local server).
pub fn router(functions: &[Function], state: AppState) -> Router {
    let mut router = Router::new();
    for route in ROUTES.iter().filter(|r| functions.contains(&r.function)) {
        let mut method_router = handler(route);
        // The health check is never limited: a monitor polling it must not
        // see 429 because customers are busy.
        if route.scope.is_none()
            && route.function == Function::Collect
            && route.endpoint != Endpoint::Health
        {
            method_router = method_router.route_layer(axum::middleware::from_fn_with_state(
                state.clone(),
                middleware::limits::limit,
            ));
        }
        router = router.route(route.path, method_router);
    }
    router
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            middleware::auth::authorize,
        ))
        .fallback(meta::not_found)
        .method_not_allowed_fallback(meta::method_not_allowed)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            middleware::deadline::deadline,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            middleware::origin::require,
        ))
        .layer(axum::middleware::from_fn_with_state(
            match functions {
                [one] => one.name(),
                _ => "local",
            },
            middleware::trace::span,
        ))
        .with_state(state)
}
