// Wide figures (forest plots) open at full size in a new tab when clicked or tapped.
document.addEventListener("DOMContentLoaded", () => {
  for (const img of document.querySelectorAll('.cell_output img[alt^="Forest plot"], .cell_output img.jm-wide')) {
    if (img.closest("a")) continue;
    const link = document.createElement("a");
    link.href = img.getAttribute("src");
    link.className = "jm-zoom";
    link.target = "_blank";
    link.rel = "noopener";
    link.title = "Open the figure at full size";
    img.replaceWith(link);
    link.appendChild(img);
  }
});
