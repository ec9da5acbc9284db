import { useRoute } from 'preact-iso';

/** One camera: live view, timeline, playback, export (the cameras helper's page; this is the scaffold's placeholder). */
export function CameraPage() {
  const { params } = useRoute();
  return (
    <main class="page">
      <h1>Camera {params.id}</h1>
    </main>
  );
}
