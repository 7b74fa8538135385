//! Following a job's progress over server-sent events, through dropped connections.
//!
//! The browser's `EventSource` retries a dropped stream by itself; when it gives up
//! (an error answer, e.g. while the backend restarts) this reconnects with a growing
//! delay. Either way the page says "reconnecting" until events flow again.

use crypter_api::{JobProgress, JobState};
use leptos::prelude::*;
use std::rc::Rc;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;

/// The progress stream as the page shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Link {
    Live,
    Reconnecting,
    /// Given up after [`ATTEMPTS`] reconnections.
    Lost,
}

const ATTEMPTS: u32 = 8;

/// Where a job's events go.
#[derive(Clone, Copy)]
pub struct JobSink {
    pub progress: RwSignal<Option<JobProgress>>,
    pub link: RwSignal<Link>,
    pub on_end: Callback<()>,
}

/// Follows the job until it ends, then runs `on_end`.
pub fn watch_job(job_id: &str, sink: JobSink) {
    sink.link.set(Link::Live);
    connect(Rc::from(format!("/api/v1/jobs/{job_id}/events")), 0, sink);
}

fn connect(url: Rc<str>, attempt: u32, sink: JobSink) {
    let Ok(source) = web_sys::EventSource::new(&url) else {
        sink.link.set(Link::Lost);
        return;
    };
    let closing = source.clone();
    let on_progress =
        Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |ev: web_sys::MessageEvent| {
            let Some(p) = ev
                .data()
                .as_string()
                .and_then(|t| serde_json::from_str::<JobProgress>(&t).ok())
            else {
                return;
            };
            let ended = p.state != JobState::Running;
            sink.link.set(Link::Live);
            sink.progress.set(Some(p));
            if ended {
                closing.close();
                sink.on_end.run(());
            }
        });
    let failing = source.clone();
    let on_error = Closure::<dyn FnMut(web_sys::Event)>::new(move |_: web_sys::Event| {
        if sink
            .progress
            .with_untracked(|p| p.as_ref().is_some_and(|p| p.state != JobState::Running))
        {
            return;
        }
        sink.link.set(Link::Reconnecting);
        // CLOSED: the browser gave up; CONNECTING: it retries by itself.
        if failing.ready_state() == web_sys::EventSource::CLOSED {
            retry(url.clone(), attempt + 1, sink);
        }
    });
    let _ =
        source.add_event_listener_with_callback("progress", on_progress.as_ref().unchecked_ref());
    let _ = source.add_event_listener_with_callback("error", on_error.as_ref().unchecked_ref());
    // The listeners live as long as their stream; one stream per apply or reconnection.
    on_progress.forget();
    on_error.forget();
}

fn retry(url: Rc<str>, attempt: u32, sink: JobSink) {
    if attempt > ATTEMPTS {
        sink.link.set(Link::Lost);
        return;
    }
    let delay = 250 * 2_i32.pow(attempt.min(5));
    let again = Closure::once_into_js(move || connect(url, attempt, sink));
    if let Some(w) = web_sys::window() {
        let _ =
            w.set_timeout_with_callback_and_timeout_and_arguments_0(again.unchecked_ref(), delay);
    }
}

/// "reconnecting" or "lost" while the stream is not live.
#[component]
pub fn LinkStatus(link: RwSignal<Link>) -> impl IntoView {
    view! {
        <span role="status" class="muted" data-testid="job-link" data-link=move || format!("{:?}", link.get()).to_lowercase()>
            {move || match link.get() {
                Link::Live => "",
                Link::Reconnecting => "Connection lost: reconnecting…",
                Link::Lost => "The progress stream is lost; refresh the page to see how the job ended.",
            }}
        </span>
    }
}
