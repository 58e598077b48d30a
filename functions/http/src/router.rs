//! The axum router of one or more functions: each route of the table to its
//! handler, inside the middleware.

use crate::handlers::{
    dashboard, erasure, follow_ups, invitations, keys, links, meta, public, reps, responses,
    scores, settings, snippet, unsubscribe, webhooks,
};
use crate::middleware;
use crate::routes::{Endpoint, Function, ROUTES, Route};
use crate::state::AppState;
use axum::Router;
use axum::routing::{MethodFilter, MethodRouter, on};

/// One function's handlers, by endpoint. Each Lambda binary builds its
/// router from its own ([`COLLECT`], [`MANAGE`], [`SCORES`]), so it links
/// no other function's handlers (nor the pages and reports only those use).
#[derive(Clone, Copy)]
pub struct Served {
    pub function: Function,
    handler: fn(Endpoint, MethodFilter) -> Option<MethodRouter<AppState>>,
}

pub const COLLECT: Served = Served {
    function: Function::Collect,
    handler: collect,
};
pub const MANAGE: Served = Served {
    function: Function::Manage,
    handler: manage,
};
pub const SCORES: Served = Served {
    function: Function::Scores,
    handler: scores,
};

impl Served {
    /// What `function` serves.
    pub fn of(function: Function) -> Served {
        match function {
            Function::Collect => COLLECT,
            Function::Manage => MANAGE,
            Function::Scores => SCORES,
        }
    }

    fn handler(self, route: &Route) -> MethodRouter<AppState> {
        let filter =
            MethodFilter::try_from(route.method.clone()).expect("route methods are standard");
        (self.handler)(route.endpoint, filter).unwrap_or_else(|| {
            panic!(
                "{} {} is listed for {} but it has no handler for it",
                route.method,
                route.path,
                self.function.name()
            )
        })
    }
}

fn collect(endpoint: Endpoint, filter: MethodFilter) -> Option<MethodRouter<AppState>> {
    Some(match endpoint {
        Endpoint::Health => on(filter, meta::health),
        Endpoint::RatingJson => on(filter, public::rating),
        Endpoint::Submit => on(filter, public::submit),
        Endpoint::AskUnsubscribe => on(filter, unsubscribe::ask),
        Endpoint::Unsubscribe => on(filter, unsubscribe::confirm),
        _ => return None,
    })
}

fn manage(endpoint: Endpoint, filter: MethodFilter) -> Option<MethodRouter<AppState>> {
    Some(match endpoint {
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
        Endpoint::ReleaseResponse => on(filter, responses::release),
        Endpoint::EraseCustomer => on(filter, erasure::erase),
        Endpoint::ListFollowUps => on(filter, follow_ups::list),
        Endpoint::GetFollowUp => on(filter, follow_ups::get),
        Endpoint::PatchFollowUp => on(filter, follow_ups::patch),
        Endpoint::CreateWebhook => on(filter, webhooks::create),
        Endpoint::ListWebhooks => on(filter, webhooks::list),
        Endpoint::DeleteWebhook => on(filter, webhooks::delete),
        Endpoint::ListDeliveries => on(filter, webhooks::deliveries),
        _ => return None,
    })
}

fn scores(endpoint: Endpoint, filter: MethodFilter) -> Option<MethodRouter<AppState>> {
    Some(match endpoint {
        Endpoint::ListResponses => on(filter, responses::list),
        Endpoint::ExportResponses => on(filter, responses::export),
        Endpoint::Scores => on(filter, scores::scores),
        Endpoint::Leaderboard => on(filter, scores::leaderboard),
        Endpoint::Drivers => on(filter, scores::drivers),
        Endpoint::Comments => on(filter, responses::comments),
        Endpoint::Dashboard => on(filter, dashboard::show),
        Endpoint::SignIn => on(filter, dashboard::sign_in),
        Endpoint::SignOut => on(filter, dashboard::sign_out),
        _ => return None,
    })
}

/// The router serving `functions`' routes (all of them in the local server).
pub fn router(functions: &[Function], state: AppState) -> Router {
    let served: Vec<Served> = functions.iter().map(|&f| Served::of(f)).collect();
    build(&served, state)
}

/// The router serving what `served` lists, and only that.
pub fn build(served: &[Served], state: AppState) -> Router {
    let mut router = Router::new();
    for served in served {
        for route in ROUTES.iter().filter(|r| r.function == served.function) {
            router = router.route(route.path, limited(served.handler(route), route, &state));
        }
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
            match served {
                [one] => one.function.name(),
                _ => "local",
            },
            middleware::trace::span,
        ))
        .with_state(state)
}

/// `handler` with the local rate limits on, for the public rating routes.
/// The health check is never limited: a monitor polling it must not see 429
/// because customers are busy.
fn limited(
    handler: MethodRouter<AppState>,
    route: &Route,
    state: &AppState,
) -> MethodRouter<AppState> {
    if route.scope.is_none()
        && route.function == Function::Collect
        && route.endpoint != Endpoint::Health
    {
        handler.route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            middleware::limits::limit,
        ))
    } else {
        handler
    }
}
