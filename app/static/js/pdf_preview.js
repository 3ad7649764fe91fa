/* Inline previews of PDF attachments on the task page (templates/task_pdf_preview.html), drawn by
   pdf.js (pdfjs-dist from npm, served by /vendor). Each <figure data-pdf> gets its first page on
   its canvas; the link beside it still opens the whole file. Without script the link remains. */
import * as pdfjs from "/vendor/pdfjs-dist/build/pdf.min.mjs";

pdfjs.GlobalWorkerOptions.workerSrc = "/vendor/pdfjs-dist/build/pdf.worker.min.mjs";

async function draw(figure) {
  const canvas = figure.querySelector("canvas");
  const status = figure.querySelector("[data-pdf-status]");
  try {
    // No eval (the pages' Content-Security-Policy forbids it) and no fonts fetched from elsewhere:
    // the character maps of CID fonts (Chinese text) and the standard fonts come from /vendor.
    const doc = await pdfjs.getDocument({
      url: figure.dataset.pdf,
      isEvalSupported: false,
      cMapUrl: "/vendor/pdfjs-dist/cmaps/",
      cMapPacked: true,
      standardFontDataUrl: "/vendor/pdfjs-dist/standard_fonts/",
    }).promise;
    const page = await doc.getPage(1);
    const width = Math.min(figure.clientWidth || 600, 640);
    const base = page.getViewport({ scale: 1 });
    const ratio = window.devicePixelRatio || 1;
    const viewport = page.getViewport({ scale: (width / base.width) * ratio });
    canvas.width = Math.floor(viewport.width);
    canvas.height = Math.floor(viewport.height);
    canvas.style.width = Math.floor(viewport.width / ratio) + "px";
    await page.render({ canvas, canvasContext: canvas.getContext("2d"), viewport }).promise;
    figure.dataset.pdfRendered = String(doc.numPages);
    if (status) { status.textContent = status.dataset.pages.replace("{num}", String(doc.numPages)); }
  } catch (err) {
    figure.dataset.pdfRendered = "failed";
    if (status) { status.textContent = status.dataset.failed; }
  }
}

document.querySelectorAll("figure[data-pdf]").forEach(draw);
