import { z } from 'zod';

/**
 * `grafana:` in slipway.yaml (top level, and per service over it): where deployment
 * annotations belong. Without a dashboard they are organization annotations, which any
 * dashboard shows through the built-in "Annotations & Alerts" query filtered by tags.
 */
export const GrafanaOptions = z
  .object({
    dashboardUID: z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,40}$/, 'write the dashboard UID, as in its URL: /d/<uid>/<name>')
      .optional()
      .describe(
        'The UID of the dashboard the annotations belong to (in its URL: /d/<uid>/…). Omitted: organization annotations, shown wherever a dashboard queries them by tag.',
      ),
    panelId: z
      .number()
      .int()
      .positive()
      .optional()
      .describe('The panel of that dashboard they belong to; omitted: the whole dashboard.'),
  })
  .strict()
  .superRefine((options, ctx) => {
    if (options.panelId !== undefined && options.dashboardUID === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['panelId'],
        message: 'panelId is given without dashboardUID',
        params: { fix: 'add the dashboardUID of the dashboard the panel is on' },
      });
    }
  })
  .describe(
    'Where Grafana annotations of deployments go (GRAFANA_URL and GRAFANA_TOKEN turn them on).',
  );
export type GrafanaOptions = z.infer<typeof GrafanaOptions>;

/** POST /api/annotations answers `{ message: "Annotation added", id }`. */
export const CreatedAnnotation = z.object({ id: z.number().int(), message: z.string() });

/** GET /api/annotations answers a list; only the ids and tags are read. */
export const FoundAnnotations = z.array(
  z.object({ id: z.number().int(), tags: z.array(z.string()).nullish() }).loose(),
);
