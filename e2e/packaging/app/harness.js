// What the README's quick start leaves to the app: `textarea` is the element of
// that id (a window global), and `upload` here only shows what would be sent.
window.upload = (text) => {
  document.getElementById("uploaded").textContent = text;
  document.title = "uploaded";
};
