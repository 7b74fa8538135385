//! A job's live progress (a runbook's apply step): its server-sent events, on whichever
//! instance serves the page, until it ends; then `on_end` (reload what it changed).

use crypter_api::{JobProgress, JobState};
use leptos::prelude::*;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;

#[component]
pub fn JobProgressBar(job: String, on_end: Callback<()>) -> impl IntoView {
    let progress = RwSignal::new(None::<JobProgress>);
    follow(&job, progress, on_end);
    move || {
        progress.get().map(|p| {
            let text = format!("{} / {} items, {} per second", p.done, p.total, p.rate);
            let interrupted = p.state == JobState::Interrupted;
            view! {
                <div class="job-progress" data-testid="step-job" data-state=p.state.as_str()>
                    <progress data-testid="step-job-bar" value=p.done.to_string() max=p.total.max(1).to_string()></progress>
                    <span data-testid="step-job-text">{text}</span>
                    <span class="small muted">" on " {p.instance.clone()}</span>
                    {interrupted.then(|| view! {
                        <p class="error" data-testid="step-job-interrupted">
                            {p.error.clone().unwrap_or_default()}
                            " Take the step over (with a reason) to continue it here."
                        </p>
                    })}
                </div>
            }
        })
    }
}

fn follow(job: &str, progress: RwSignal<Option<JobProgress>>, on_end: Callback<()>) {
    let Ok(source) = web_sys::EventSource::new(&format!("/api/v1/jobs/{job}/events")) else {
        return;
    };
    let closing = source.clone();
    let on_event =
        Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |ev: web_sys::MessageEvent| {
            let Some(text) = ev.data().as_string() else {
                return;
            };
            if let Ok(p) = serde_json::from_str::<JobProgress>(&text) {
                let ended = p.state.ended();
                let done = p.state == JobState::Done || p.state == JobState::Failed;
                progress.set(Some(p));
                if ended {
                    closing.close();
                }
                if done {
                    on_end.run(());
                }
            }
        });
    let _ = source.add_event_listener_with_callback("progress", on_event.as_ref().unchecked_ref());
    on_event.forget();
    // Leaving the page closes the stream (the value lives on this thread only).
    let kept = StoredValue::new_local(source);
    on_cleanup(move || kept.with_value(web_sys::EventSource::close));
}
