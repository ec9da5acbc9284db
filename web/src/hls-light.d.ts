// hls.js's light build (no subtitles, alternate audio or DRM: the console needs none) has the full build's types.
declare module 'hls.js/light' {
  import Hls from 'hls.js';
  export default Hls;
}
