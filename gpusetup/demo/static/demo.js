// The gpusetup demo page: pick a device, drop an image, show the top-5 labels, compare
// devices. Every text from the server is set with textContent, never parsed as HTML.
"use strict";

const TEXT = {
  en: {
    title: "Image classification", device: "Device", drop: "Drop an image here, or choose one",
    compare: "Compare CPU and every GPU", label: "Label", label_zh: "Chinese", score: "Score",
    row: "nvidia-smi · bus id · CUDA · TensorFlow", latency: "Latency", top1: "Top 1",
    agrees: "Agrees with the CPU", lang: "中文", classifying: "Classifying on",
    comparing: "Running on every device…", loading: "The model is still loading…",
    yes: "yes", no: "no", reference: "reference", on: "on", inference: "inference",
    total: "request", unavailable: "unavailable", model: "Model", weights: "weights",
    random: "(weights not from ImageNet training: the labels are arbitrary)",
  },
  zh: {
    title: "图像分类", device: "设备", drop: "将图片拖到这里，或选择一张",
    compare: "对比 CPU 与所有 GPU", label: "英文标签", label_zh: "中文标签", score: "置信度",
    row: "nvidia-smi · 总线 ID · CUDA · TensorFlow", latency: "延迟", top1: "第一名",
    agrees: "与 CPU 一致", lang: "English", classifying: "正在分类，设备",
    comparing: "正在所有设备上运行…", loading: "模型仍在加载…",
    yes: "是", no: "否", reference: "基准", on: "设备", inference: "推理",
    total: "请求", unavailable: "不可用", model: "模型", weights: "权重",
    random: "（权重并非来自 ImageNet 训练：标签没有意义）",
  },
};

const state = { lang: "en", devices: [], info: null, file: null };
const $ = (id) => document.getElementById(id);
const t = (key) => TEXT[state.lang][key] || key;

function el(tag, text, cls) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = String(text);
  if (cls) node.className = cls;
  return node;
}

function mapRow(d) {
  if (!d || d.device === "cpu") return "CPU";
  return [
    d.name || "GPU",
    "nvidia-smi " + d.smi_index,
    d.pci_bus_id || "?",
    d.cuda_ordinal === null ? "CUDA -" : "CUDA " + d.cuda_ordinal,
    d.tf_device || "-",
  ].join(" · ");
}

function applyLanguage() {
  document.documentElement.lang = state.lang === "zh" ? "zh-CN" : "en";
  document.querySelectorAll("[data-t]").forEach((node) => { node.textContent = t(node.dataset.t); });
  $("lang").textContent = t("lang");
  if (state.info) {
    const w = state.info.weights === "imagenet" ? "imagenet" : state.info.weights + " " + t("random");
    $("model").textContent = `${t("model")}: ${state.info.model} · ${state.info.framework || state.info.backend} · ${t("weights")}: ${w}`;
  }
  fillDevices();
}

function fillDevices() {
  const select = $("device");
  const chosen = select.value || (state.info && state.info.default_device);
  select.textContent = "";
  for (const d of state.devices) {
    const ready = d.state === "ready";
    const option = el("option", d.device + (d.name && d.device !== "cpu" ? " — " + d.name : "") +
      (ready ? "" : ` (${d.state === "loading" ? t("loading") : t("unavailable")})`));
    option.value = d.device;
    option.disabled = !ready;
    if (ready && !d.reason) option.title = mapRow(d);
    else if (d.reason) option.title = d.reason;
    select.appendChild(option);
  }
  if (chosen) select.value = chosen;
  showDeviceRow();
}

function showDeviceRow() {
  const d = state.devices.find((x) => x.device === $("device").value);
  $("device-row").textContent = d ? mapRow(d) : "";
}

async function loadDevices() {
  const answer = await fetch("/api/devices").then((r) => r.json());
  state.info = answer;
  state.devices = answer.devices;
  if (!state.langChosen) state.lang = answer.lang || "en";
  applyLanguage();
  const notes = $("notes");
  notes.textContent = "";
  for (const note of answer.notes || []) notes.appendChild(el("p", note));
  $("compare").disabled = !state.file;
  if (state.devices.some((d) => d.state === "loading" || d.state === "waiting")) setTimeout(loadDevices, 1000);
}

function showError(message) {
  $("error").hidden = !message;
  $("error").textContent = message || "";
}

async function post(path, extra) {
  const form = new FormData();
  form.append("image", state.file, state.file.name);
  for (const [k, v] of Object.entries(extra || {})) form.append(k, v);
  const response = await fetch(path, { method: "POST", body: form });
  const answer = await response.json().catch(() => ({ error: response.statusText }));
  if (!response.ok) throw new Error(answer.error || response.statusText);
  return answer;
}

function showTop(answer) {
  const body = $("top").querySelector("tbody");
  body.textContent = "";
  for (const item of answer.top) {
    const row = el("tr");
    row.appendChild(el("td", item.rank));
    row.appendChild(el("td", item.label));
    row.appendChild(el("td", item.label_zh));
    const cell = el("td", (item.score * 100).toFixed(2) + " %", "score");
    const bar = el("div", null, "bar");
    bar.style.width = Math.max(0.5, item.score * 100) + "%";
    cell.appendChild(bar);
    row.appendChild(cell);
    body.appendChild(row);
  }
  $("top").hidden = false;
  $("timing").textContent = `${t("on")} ${answer.device} (${mapRow(answer)}) · ${t("inference")} ` +
    `${answer.latency_ms.toFixed(1)} ms · ${t("total")} ${answer.total_ms.toFixed(0)} ms · ` +
    `${answer.image.format} ${answer.image.width}×${answer.image.height} ${answer.image.mode}`;
}

async function classify() {
  if (!state.file) return;
  const device = $("device").value;
  showError("");
  $("status").textContent = `${t("classifying")} ${device}…`;
  $("status").dataset.state = "busy";
  try {
    showTop(await post("/api/classify", { device }));
    $("status").textContent = "";
    $("status").dataset.state = "done";
  } catch (err) {
    $("status").textContent = "";
    $("status").dataset.state = "error";
    showError(err.message);
  }
}

async function compare() {
  showError("");
  $("status").textContent = t("comparing");
  try {
    const answer = await post("/api/compare");
    const body = $("comparison").querySelector("tbody");
    body.textContent = "";
    for (const r of answer.results) {
      const row = el("tr");
      row.appendChild(el("td", r.device));
      row.appendChild(el("td", mapRow(r)));
      if (r.error) {
        const cell = el("td", r.error, "muted");
        cell.colSpan = 3;
        row.appendChild(cell);
      } else {
        row.appendChild(el("td", r.latency_ms.toFixed(1) + " ms"));
        row.appendChild(el("td", `${r.top[0].label} / ${r.top[0].label_zh}`));
        if (r.agreement) {
          const cell = el("td", r.agreement.agrees ? t("yes") : t("no"), r.agreement.agrees ? "yes" : "no");
          cell.title = r.agreement.detail;
          row.appendChild(cell);
        } else {
          row.appendChild(el("td", r.device === "cpu" ? t("reference") : "-", "muted"));
        }
      }
      body.appendChild(row);
    }
    $("comparison").hidden = false;
    $("status").textContent = "";
  } catch (err) {
    $("status").textContent = "";
    showError(err.message);
  }
}

function choose(file) {
  if (!file) return;
  state.file = file;
  const preview = $("preview");
  if (preview.src) URL.revokeObjectURL(preview.src);
  preview.src = URL.createObjectURL(file);
  preview.hidden = false;
  $("compare").disabled = false;
  classify();
}

document.addEventListener("DOMContentLoaded", () => {
  $("file").addEventListener("change", (e) => choose(e.target.files[0]));
  $("device").addEventListener("change", () => { showDeviceRow(); classify(); });
  $("compare").addEventListener("click", compare);
  $("lang").addEventListener("click", () => {
    state.lang = state.lang === "en" ? "zh" : "en";
    state.langChosen = true;
    applyLanguage();
  });
  const drop = $("drop");
  drop.addEventListener("dragover", (e) => { e.preventDefault(); drop.classList.add("over"); });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", (e) => {
    e.preventDefault();
    drop.classList.remove("over");
    choose(e.dataTransfer.files[0]);
  });
  loadDevices().catch((err) => showError(err.message));
});
