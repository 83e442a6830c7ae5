//! `yaji-bench moderation`: throughput of the full rule evaluation (2,000
//! community banned words plus the built-in lists, every detector on) over
//! 1,000,000 short mixed messages on one thread, against a raw Aho-Corasick
//! scan of the same bytes with the same words in the same run; and p99 of one
//! evaluation, for chat messages and for post-sized texts.

use std::time::Instant;

use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};
use anyhow::{Context as _, Result};
use rand::rngs::StdRng;
use rand::{Rng as _, SeedableRng as _};
use yaji_domain::moderation::{lists, normalize::normalize_word, Context, ModerationSettings, RuleSet, Scratch};

const CJK: &str = "的一是不了人我在有他这中大来上个国到说们为子和你地出道也时年得就那要下以生会自着去之过家学对可里后小么心多天而能好都然没日于起还发成事只作当想看文无开手十用主行方又如前所本见经头面公同三已老从动两长知民样现分将外但身些与高意进把法此实回二理美点月明其种声全工己话儿者向情部正名定女问力机给等几很业最间新什打便位因重被走电四第门相次东政海口使教西再平真听世气信北少关并内加化由却代军产入先山五太水万市眼体别处总才场师书比住员九笑性通目华报立马命张活难神数件安表原车白应路期叫死常提感金何更反合放做系计或司利受光王果亲界及今京务制解各任至清物台象记边共风战干接它许八特觉望直服毛林题建南度统色字请交爱让认算论百吃义科怎元社术结六功指思非流每青管夫连远资队跟带花快条院变联言权往展该领传近留红治决周保达办运武半候七必城父强步完革深区即求品士转量空甚众技轻程告江语英基派满式李息写呢识极令黄德收脸钱党倒未持取设始版双历越史商千片容研像找友孩站广改议形委早房音火际则首单据导影失拿网香似斯专石若兵弟谁校读志飞观争究包组造落视济喜离虽坏兴";

fn words(n: usize, rng: &mut StdRng) -> Vec<String> {
    let cjk: Vec<char> = CJK.chars().collect();
    let mut out = std::collections::BTreeSet::new();
    while out.len() < n {
        let w: String = if rng.random_range(0..3) == 0 {
            (0..5 + rng.random_range(0..5)).map(|_| (b'a' + rng.random_range(0..26) as u8) as char).collect()
        } else {
            (0..3 + rng.random_range(0..2)).map(|_| cjk[rng.random_range(0..cjk.len())]).collect()
        };
        out.insert(w);
    }
    out.into_iter().collect()
}

fn messages(n: usize, rng: &mut StdRng) -> Result<Vec<String>> {
    let data = std::fs::read_to_string("data/moderation/eval.jsonl").context("run from the repository root")?;
    let base: Vec<String> = data
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter_map(|v| v["text"].as_str().map(str::to_string))
        .collect();
    let suffixes = ["", "", "", "！", " 谢谢", " ok", "～", "?", " 😂", "。"];
    Ok((0..n)
        .map(|i| {
            let b = &base[rng.random_range(0..base.len())];
            format!("{b}{}{}", suffixes[rng.random_range(0..suffixes.len())], if i % 7 == 0 { " #" } else { "" })
        })
        .collect())
}

fn percentile(mut v: Vec<u64>, p: f64) -> f64 {
    v.sort_unstable();
    v[((v.len() as f64 * p) as usize).min(v.len() - 1)] as f64 / 1000.0
}

pub fn run(n: usize) -> Result<()> {
    let mut rng = StdRng::seed_from_u64(0x9e37_79b9_7f4a_7c15);
    let banned = words(2000, &mut rng);
    let msgs = messages(n, &mut rng)?;
    let bytes: usize = msgs.iter().map(String::len).sum();
    let settings = ModerationSettings {
        banned_words: banned.clone(),
        allowed_domains: vec!["github.com".into(), "yaji.example".into()],
        ..ModerationSettings::default()
    };
    let set = RuleSet::compile(&settings).map_err(|e| anyhow::anyhow!("{e}"))?;

    // The raw scan: the same words, normalized as the engine stores them, over the original bytes.
    let mut all: Vec<String> = banned.iter().map(|w| normalize_word(w)).collect();
    all.extend(lists::ABUSE.iter().chain(lists::BANNED).map(|w| normalize_word(w)));
    all.extend(lists::AD_PHRASES.iter().map(|(w, _)| normalize_word(w)));
    all.extend(lists::CONTACT_TRIGGERS.iter().map(|w| normalize_word(w)));
    all.sort();
    all.dedup();
    let ac = AhoCorasick::builder().match_kind(MatchKind::Standard).kind(Some(AhoCorasickKind::DFA)).build(&all)?;

    let raw = |msgs: &[String]| {
        let t = Instant::now();
        let mut found = 0usize;
        for m in msgs {
            found += ac.find_overlapping_iter(m.as_str()).count();
        }
        (t.elapsed().as_secs_f64(), found)
    };
    let ctx = Context::member();
    let full = |msgs: &[String]| {
        let mut scratch = Scratch::default();
        let t = Instant::now();
        let mut flagged = 0usize;
        for m in msgs {
            flagged += usize::from(!set.evaluate_with(m, &ctx, &mut scratch).hits.is_empty());
        }
        (t.elapsed().as_secs_f64(), flagged)
    };
    // Warm up, then alternate to share the machine's noise fairly; best of three each.
    let _ = (raw(&msgs[..n.min(50_000)]), full(&msgs[..n.min(50_000)]));
    let (mut raw_s, mut full_s) = (f64::MAX, f64::MAX);
    let (mut found, mut flagged) = (0, 0);
    for _ in 0..3 {
        let r = raw(&msgs);
        raw_s = raw_s.min(r.0);
        found = r.1;
        let f = full(&msgs);
        full_s = full_s.min(f.0);
        flagged = f.1;
    }

    // Latency of one evaluation: chat messages and ~2 KB posts.
    let mut scratch = Scratch::default();
    let sample: Vec<u64> = msgs
        .iter()
        .take(200_000)
        .map(|m| {
            let t = Instant::now();
            std::hint::black_box(set.evaluate_with(m, &ctx, &mut scratch));
            t.elapsed().as_nanos() as u64
        })
        .collect();
    let post_latency = |parts: usize| {
        let posts: Vec<String> = (0..10_000).map(|i| msgs[i * 7 % (msgs.len() - parts)..][..parts].join(" ")).collect();
        let lat: Vec<u64> = posts
            .iter()
            .map(|p| {
                let t = Instant::now();
                std::hint::black_box(set.evaluate(p, &ctx));
                t.elapsed().as_nanos() as u64
            })
            .collect();
        (posts.iter().map(String::len).sum::<usize>() / posts.len(), lat)
    };

    let raw_rate = n as f64 / raw_s;
    let full_rate = n as f64 / full_s;
    println!(
        "| moderation, one thread, {n} messages ({} bytes avg), {} words | messages/s | MB/s | ratio to raw scan |",
        bytes / n,
        all.len()
    );
    println!("|---|---:|---:|---:|");
    println!(
        "| raw Aho-Corasick scan, same words, same bytes ({found} matches) | {raw_rate:.0} | {:.0} | 1.00 |",
        bytes as f64 / raw_s / 1e6
    );
    println!(
        "| full rule evaluation ({flagged} messages flagged) | {full_rate:.0} | {:.0} | {:.2} |",
        bytes as f64 / full_s / 1e6,
        full_rate / raw_rate
    );
    println!();
    println!("| one evaluation | p50 | p99 | max |");
    println!("|---|---:|---:|---:|");
    println!(
        "| chat message | {:.2} µs | {:.2} µs | {:.1} µs |",
        percentile(sample.clone(), 0.5),
        percentile(sample.clone(), 0.99),
        percentile(sample, 1.0)
    );
    for parts in [10, 40] {
        let (size, lat) = post_latency(parts);
        println!(
            "| post of {size} bytes (fresh buffers, as in post creation) | {:.2} µs | {:.2} µs | {:.1} µs |",
            percentile(lat.clone(), 0.5),
            percentile(lat.clone(), 0.99),
            percentile(lat, 1.0)
        );
    }
    println!("ratio={:.3}", full_rate / raw_rate);
    Ok(())
}
