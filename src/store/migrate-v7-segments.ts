import type { Db, Dialect } from './db.ts';

/**
 * v7: the segments behind the timeline's intervals, one row per file a server reported, with its
 * size and SHA-256 as committed (NULL from servers that do not send them): what verify holds the
 * servers' disks to, and what a removal (retention, a release) takes out of an interval. The
 * intervals (recordings) stay the timeline's fast read; these are read a camera and a range at a time.
 */
export async function v7Segments(db: Db, dialect: Dialect): Promise<void> {
  const serial = dialect === 'postgres' ? 'bigserial' : 'integer';
  await db.transaction().execute(async (tx) => {
    await tx.schema
      .createTable('recording_segments')
      .addColumn('id', serial, (c) => (dialect === 'sqlite' ? c.primaryKey().autoIncrement() : c.primaryKey()))
      .addColumn('server_id', 'text', (c) => c.notNull())
      .addColumn('camera_id', 'text', (c) => c.notNull())
      .addColumn('stream', 'integer', (c) => c.notNull())
      // '' for the server's own recording; for a copy brought home, the server that recorded it.
      .addColumn('recorded_by', 'text', (c) => c.notNull().defaultTo(''))
      .addColumn('start_ms', 'bigint', (c) => c.notNull())
      .addColumn('end_ms', 'bigint', (c) => c.notNull())
      .addColumn('bytes', 'bigint')
      .addColumn('sha256', 'text')
      .execute();
    // A file is named by its camera stream, its start, its server and its recorder: reported twice, it is one row.
    await tx.schema
      .createIndex('recording_segments_file')
      .unique()
      .on('recording_segments')
      .columns(['camera_id', 'stream', 'start_ms', 'server_id', 'recorded_by'])
      .execute();
    await tx.schema
      .createIndex('recording_segments_server_end')
      .on('recording_segments')
      .columns(['server_id', 'camera_id', 'stream', 'end_ms'])
      .execute();
    await tx.updateTable('meta').set({ value: '7' }).where('key', '=', 'schema_version').execute();
  });
}
