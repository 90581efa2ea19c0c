// A page module's own stylesheet, added to the document once.
export function useStyles(name) {
  const href = `/ui/${name}`;
  if (document.querySelector(`link[rel="stylesheet"][href="${href}"]`)) return;
  const link = document.createElement("link");
  link.rel = "stylesheet";
  link.href = href;
  document.head.append(link);
}
