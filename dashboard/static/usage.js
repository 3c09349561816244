// Draws the usage chart from the JSON the server put in #usage-data (no inline script).
"use strict";

(function () {
  const source = document.getElementById("usage-data");
  const canvas = document.getElementById("usage-chart");
  const picker = document.getElementById("chart-meter");
  if (!source || !canvas || typeof window.Chart === "undefined") {
    return;
  }
  const meters = JSON.parse(source.textContent).meters;
  if (!meters.length) {
    return;
  }
  let chart = null;
  const prefixes = ["", "k", "M", "G", "T", "P", "E"];

  // Byte meters read better in decimal prefixes: 35 GB rather than 35,000,000,000.
  function tick(unit) {
    if (unit !== "B") {
      return undefined;
    }
    return function (value) {
      let scaled = Math.abs(value);
      let index = 0;
      while (scaled >= 1000 && index < prefixes.length - 1) {
        scaled /= 1000;
        index += 1;
      }
      return (value < 0 ? "-" : "") + Number(scaled.toPrecision(3)) + " " +
        prefixes[index] + "B";
    };
  }

  function draw(index) {
    const meter = meters[index];
    const unit = meter.unit ? " (" + meter.unit + ")" : "";
    if (chart) {
      chart.destroy();
    }
    chart = new window.Chart(canvas, {
      type: "bar",
      data: {
        labels: meter.labels,
        datasets: [{
          label: meter.name + unit,
          data: meter.values,
          backgroundColor: "rgba(29, 95, 168, 0.65)",
          borderColor: "#1d5fa8",
          borderWidth: 1,
        }],
      },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        plugins: { legend: { display: true, position: "top" } },
        scales: {
          x: { title: { display: true, text: "Time (UTC)" } },
          y: {
            beginAtZero: true,
            title: { display: true, text: meter.name + unit },
            ticks: { callback: tick(meter.unit) },
          },
        },
      },
    });
  }

  draw(0);
  if (picker) {
    picker.addEventListener("change", function () {
      draw(Number(picker.value));
    });
  }
})();
