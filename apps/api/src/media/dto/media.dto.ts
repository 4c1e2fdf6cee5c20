import {
  IsBoolean,
  IsIn,
  IsInt,
  IsObject,
  IsOptional,
  IsString,
  Length,
  Max,
  Min,
  ValidateBy,
  type ValidationOptions,
} from 'class-validator';
import {
  PRODUCER_SOURCES,
  type ConnectWebRtcTransportParams,
  type ConsumerRef,
  type CreateWebRtcTransportParams,
  type DataConsumerRef,
  type DataProducerRef,
  type DtlsParameters,
  type MediaKind,
  type ProduceDataParams,
  type ProduceParams,
  type ProducerAppData,
  type ProducerRef,
  type RtpParameters,
  type SctpCapabilities,
  type SctpStreamParameters,
  type SetConsumerPreferredLayersParams,
  type SetConsumerPriorityParams,
  type TransportDirection,
  type TransportRef,
  DTLS_PARAMETERS_WIRE,
  RTP_PARAMETERS_WIRE,
  SCTP_CAPABILITIES_WIRE,
  SCTP_STREAM_PARAMETERS_WIRE,
} from '@confer/signaling-contracts';
import { IsWire } from '../../validation/is-wire';

// Everything that goes on to mediasoup is checked against the contract's wire
// rules (media-wire.ts): mediasoup throws half-way through serializing a value
// its worker schema does not accept, which would poison the worker channel.

const ID = { min: 1, max: 64 };
/** Opaque appData a data producer carries to its consumers: bounded in keys (depth is bounded for every message). */
const APP_DATA_WIRE = { kind: 'jsonObject', maxKeys: 32 } as const;

function IsProducerAppData(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isProducerAppData',
      validator: {
        validate: (value: unknown) =>
          typeof value === 'object' && value !== null && (PRODUCER_SOURCES as readonly unknown[]).includes((value as ProducerAppData).source),
        defaultMessage: () => `appData must be an object whose source is one of ${PRODUCER_SOURCES.join(', ')}`,
      },
    },
    options,
  );
}

export class CreateWebRtcTransportDto implements CreateWebRtcTransportParams {
  @IsIn(['send', 'recv']) direction!: TransportDirection;
  @IsOptional() @IsWire(SCTP_CAPABILITIES_WIRE) sctpCapabilities?: SctpCapabilities;
  @IsOptional() @IsBoolean() forceTcp?: boolean;
}

export class TransportRefDto implements TransportRef {
  @IsString() @Length(ID.min, ID.max) transportId!: string;
}

export class ConnectWebRtcTransportDto extends TransportRefDto implements ConnectWebRtcTransportParams {
  @IsWire(DTLS_PARAMETERS_WIRE) dtlsParameters!: DtlsParameters;
}

export class ProduceDto extends TransportRefDto implements ProduceParams {
  @IsIn(['audio', 'video']) kind!: MediaKind;
  @IsWire(RTP_PARAMETERS_WIRE) rtpParameters!: RtpParameters;
  @IsProducerAppData() appData!: ProducerAppData;
  @IsOptional() @IsBoolean() paused?: boolean;
}

export class ProducerRefDto implements ProducerRef {
  @IsString() @Length(ID.min, ID.max) producerId!: string;
}

export class ConsumerRefDto implements ConsumerRef {
  @IsString() @Length(ID.min, ID.max) consumerId!: string;
}

export class SetConsumerPreferredLayersDto extends ConsumerRefDto implements SetConsumerPreferredLayersParams {
  @IsInt() @Min(0) @Max(15) spatialLayer!: number;
  @IsOptional() @IsInt() @Min(0) @Max(15) temporalLayer?: number;
}

export class SetConsumerPriorityDto extends ConsumerRefDto implements SetConsumerPriorityParams {
  @IsInt() @Min(1) @Max(255) priority!: number;
}

export class ProduceDataDto extends TransportRefDto implements ProduceDataParams {
  @IsWire(SCTP_STREAM_PARAMETERS_WIRE) sctpStreamParameters!: SctpStreamParameters;
  @IsOptional() @IsString() @Length(0, 128) label?: string;
  @IsOptional() @IsString() @Length(0, 128) protocol?: string;
  @IsOptional() @IsObject() @IsWire(APP_DATA_WIRE) appData?: Record<string, unknown>;
}

export class DataProducerRefDto implements DataProducerRef {
  @IsString() @Length(ID.min, ID.max) dataProducerId!: string;
}

export class DataConsumerRefDto implements DataConsumerRef {
  @IsString() @Length(ID.min, ID.max) dataConsumerId!: string;
}
